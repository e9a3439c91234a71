//! QR codes for door access: a PNG for e-mails (inline and as an attachment) and an SVG for the
//! web pages.
//!
//! Dependencies, and why:
//! - `qrcode` with no default features encodes the payload into a grid of modules and nothing
//!   else. Its default `image` feature would draw the PNG for us but pulls in the whole `image`
//!   crate (a dozen codecs and their dependencies) to write one black-and-white picture. Its
//!   `svg` feature costs nothing but writes an `<?xml?>` prolog, which has no place inside an
//!   HTML page, and a fixed pixel size. Both drawings are a few lines here instead.
//! - `png` (image-rs's own encoder, which `image` itself uses) writes the picture: pure Rust,
//!   no unsafe in our tree, and its small deflate dependencies only.
//!
//! Both pictures have the quiet zone the standard asks for (4 modules of white on every side,
//! ISO/IEC 18004 §6.3.8), without which phone cameras and door scanners often fail, and use
//! error correction level M (15 %), the usual choice for screens and paper.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

/// White modules around the code on every side.
pub const QUIET_ZONE: usize = 4;
/// Pixels per module in the PNG: a 33-module code (a typical access token) with its quiet zone
/// is 41 × 8 = 328 pixels, sharp on a phone screen held to a scanner and small as a file.
pub const PNG_SCALE: usize = 8;
/// The longest payload [`crate::ReservationMail`] accepts. Far below the QR capacity at level
/// M (2,331 bytes), so [`qr_png`] and [`qr_svg`] cannot fail on a checked mail; and a short
/// payload makes a code with big modules that scans at a glance.
pub const MAX_PAYLOAD: usize = 512;

/// The QR code as a 1-bit greyscale PNG, [`PNG_SCALE`] pixels per module, quiet zone included.
///
/// # Panics
/// If `payload` does not fit in a QR code (more than 2,331 bytes); a [`crate::ReservationMail`]
/// that passed its check never does ([`MAX_PAYLOAD`]).
pub fn qr_png(payload: &str) -> Vec<u8> {
    let code = encode(payload);
    let modules = code.width() + 2 * QUIET_ZONE;
    let size = modules * PNG_SCALE;
    // One bit per pixel, most significant first, 1 = white; each row starts on a new byte.
    let row_bytes = size.div_ceil(8);
    let mut data = vec![0u8; row_bytes * size];
    for y in 0..size {
        for x in 0..size {
            if !dark(&code, x / PNG_SCALE, y / PNG_SCALE) {
                data[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let side = u32::try_from(size).expect("a QR code is at most 177 modules wide");
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    // Writing into a Vec cannot fail, and the header and data sizes agree by construction.
    let mut writer = encoder.write_header().expect("PNG header into memory");
    writer.write_image_data(&data).expect("PNG data into memory");
    writer.finish().expect("PNG end into memory");
    png
}

/// The QR code as an SVG element to put in an HTML page: one `<path>` of unit squares on a white
/// background, quiet zone included, scaled by the `viewBox` (set its size with CSS). Carries
/// `role="img"`; the page adds an `aria-label` or a caption saying what the code is for.
///
/// # Panics
/// As [`qr_png`].
pub fn qr_svg(payload: &str) -> String {
    let code = encode(payload);
    let modules = code.width() + 2 * QUIET_ZONE;
    let mut path = String::new();
    for y in 0..code.width() {
        // Runs of dark modules on a row become one rectangle: a third of the path of one square
        // per module.
        let mut x = 0;
        while x < code.width() {
            if code[(x, y)] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < code.width() && code[(x, y)] == Color::Dark {
                x += 1;
            }
            let _ = write!(path, "M{} {}h{}v1h-{}z", start + QUIET_ZONE, y + QUIET_ZONE, x - start, x - start);
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {modules} {modules}\" \
         shape-rendering=\"crispEdges\" role=\"img\">\
         <rect width=\"{modules}\" height=\"{modules}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    )
}

fn encode(payload: &str) -> QrCode {
    QrCode::with_error_correction_level(payload, EcLevel::M)
        .unwrap_or_else(|e| panic!("a {}-byte payload does not fit in a QR code: {e}", payload.len()))
}

/// Whether the module at `(x, y)` of the picture (quiet zone included) is dark.
fn dark(code: &QrCode, x: usize, y: usize) -> bool {
    let width = code.width();
    let (Some(x), Some(y)) = (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) else { return false };
    x < width && y < width && code[(x, y)] == Color::Dark
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = "balie:access:v1:res-1042:Zk3vQ9x2LmN8pR4tW7yB1c";

    /// The PNG's pixels as 8-bit grey, with its size.
    fn decode_png(png: &[u8]) -> (usize, usize, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        // 1-bit samples to 8-bit (0 or 255).
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("a valid PNG header");
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).expect("valid PNG data");
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        pixels.truncate(info.buffer_size());
        (info.width as usize, info.height as usize, pixels)
    }

    fn read_qr(width: usize, height: usize, grey: impl Fn(usize, usize) -> u8) -> String {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, grey);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        grids[0].decode().expect("the QR code decodes").1
    }

    #[test]
    fn the_png_decodes_and_reads_back_as_the_payload() {
        let png = qr_png(PAYLOAD);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let (w, h, pixels) = decode_png(&png);
        let code = encode(PAYLOAD);
        assert_eq!((w, h), ((code.width() + 2 * QUIET_ZONE) * PNG_SCALE, (code.width() + 2 * QUIET_ZONE) * PNG_SCALE));
        const { assert!(PNG_SCALE >= 4) };
        // The quiet zone is white, all round.
        let margin = QUIET_ZONE * PNG_SCALE;
        for y in 0..h {
            for x in 0..w {
                if x < margin || y < margin || x >= w - margin || y >= h - margin {
                    assert_eq!(pixels[y * w + x], 255, "({x}, {y}) in the quiet zone");
                }
            }
        }
        // The top-left finder pattern starts right after it, dark.
        assert_eq!(pixels[margin * w + margin], 0);
        assert_eq!(read_qr(w, h, |x, y| pixels[y * w + x]), PAYLOAD);
        // Small enough to inline in every message.
        assert!(png.len() < 4096, "{} bytes", png.len());
    }

    #[test]
    fn long_and_non_ascii_payloads_read_back() {
        for payload in ["x".repeat(MAX_PAYLOAD), "https://balie.zemst.example/toegang/é€✓".to_string()] {
            let (w, h, pixels) = decode_png(&qr_png(&payload));
            assert_eq!(read_qr(w, h, |x, y| pixels[y * w + x]), payload);
        }
    }

    #[test]
    fn the_svg_draws_the_same_modules_and_reads_back() {
        let svg = qr_svg(PAYLOAD);
        let code = encode(PAYLOAD);
        let modules = code.width() + 2 * QUIET_ZONE;
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
        assert!(svg.contains(&format!("viewBox=\"0 0 {modules} {modules}\"")));
        assert!(!svg.contains("<?xml"));

        // Paint the path back into a grid, module by module, and compare.
        let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut grid = vec![false; modules * modules];
        for rect in d.split('M').filter(|r| !r.is_empty()) {
            let (xy, rest) = rect.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let run: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            for i in 0..run {
                assert!(!grid[y * modules + x + i], "overlapping runs");
                grid[y * modules + x + i] = true;
            }
        }
        for y in 0..modules {
            for x in 0..modules {
                assert_eq!(grid[y * modules + x], dark(&code, x, y), "module ({x}, {y})");
            }
        }
        // And a scanner reads it, at 6 pixels per module.
        let scale = 6;
        let grey = |x: usize, y: usize| if grid[(y / scale) * modules + x / scale] { 0 } else { 255 };
        assert_eq!(read_qr(modules * scale, modules * scale, grey), PAYLOAD);
    }

    #[test]
    #[should_panic(expected = "does not fit in a QR code")]
    fn a_payload_too_long_for_any_qr_code_panics() {
        qr_png(&"x".repeat(3000));
    }
}
