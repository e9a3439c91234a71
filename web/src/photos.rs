//! Photos of defects, as citizens upload them: checked, decoded under limits, downsized and
//! re-encoded before anything is stored.
//!
//! - The type comes from the bytes (magic numbers), never from the client's `Content-Type` or
//!   file name: JPEG, PNG and WebP only.
//! - At most [`MAX_PHOTO_BYTES`] per photo and [`MAX_PHOTOS`] per report (the route enforces both
//!   while reading the upload; [`process`] checks the size again).
//! - Decompression bombs are refused before decoding: the header's dimensions must be at most
//!   [`MAX_SIDE`] × [`MAX_SIDE`] and [`MAX_PIXELS`] in all, and the decoder runs under
//!   `image::Limits` (dimensions and allocation) in case a header lies.
//! - The result is a new JPEG (quality [`JPEG_QUALITY`]), at most [`MAX_LONG_SIDE`] px on the
//!   long side, turned upright per its EXIF orientation. Re-encoding writes only pixels: every
//!   metadata block of the upload (EXIF with GPS position, XMP, ICC, comments, PNG text chunks)
//!   is gone.
//!
//! Decoding is CPU work: call [`process`] from `spawn_blocking`.

use std::io::Cursor;

use balie_booking::evaluations::{Photo, PhotoType};
pub use balie_booking::evaluations::{MAX_PHOTOS, MAX_PHOTO_BYTES};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Longest side accepted in an upload, in pixels.
pub const MAX_SIDE: u32 = 8000;
/// Most pixels accepted in an upload (40 megapixels).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side stored, in pixels.
pub const MAX_LONG_SIDE: u32 = 2000;
pub const JPEG_QUALITY: u8 = 85;

/// Why an upload is refused. Each is the uploader's problem (422 or 413), never a server error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is larger than 5 MB")]
    TooLarge,
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("the image is too large: at most 8000 × 8000 pixels and 40 megapixels")]
    TooManyPixels,
    #[error("the image could not be read: it is damaged or not what it claims to be")]
    Undecodable,
}

/// The image format the bytes really are, from their magic numbers.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // RGBA at 8 bits for the largest accepted image, with some room for the decoder's buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    limits
}

/// Checks, decodes, downsizes and re-encodes one uploaded photo.
pub fn process(bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = sniff(bytes).ok_or(PhotoError::NotAnImage)?;
    // The header's dimensions first: a bomb is refused before a pixel is decoded.
    let (w, h) =
        ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(|_| PhotoError::Undecodable)?;
    if w == 0 || h == 0 {
        return Err(PhotoError::Undecodable);
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        _ => PhotoError::Undecodable,
    })?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        _ => PhotoError::Undecodable,
    })?;
    image.apply_orientation(orientation);
    let image = if image.width().max(image.height()) > MAX_LONG_SIDE {
        // Keeps the aspect ratio within MAX_LONG_SIDE × MAX_LONG_SIDE.
        image.resize(MAX_LONG_SIDE, MAX_LONG_SIDE, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let rgb = flatten_on_white(image);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(&rgb).map_err(|_| PhotoError::Undecodable)?;
    Ok(Photo { content_type: PhotoType::Jpeg, bytes: out, width: rgb.width(), height: rgb.height() })
}

/// RGB for JPEG: transparent parts (a PNG or WebP with alpha) become white, not black.
fn flatten_on_white(image: DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small JPEG made with `image`.
    pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
        out
    }

    /// An APP1 "Exif\0\0" segment with a little-endian TIFF header, IFD0 holding a GPS IFD
    /// pointer, and a GPS IFD with GPSLatitudeRef = "N" (a real GPS tag).
    pub fn exif_app1() -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II*\0");
        tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 at 8
                                                     // IFD0: one entry, GPSInfo (0x8825), LONG, count 1, offset of the GPS IFD (26).
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x8825u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&26u32.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
                                                     // GPS IFD at 26: GPSLatitudeRef (1), ASCII, count 2, "N\0" inline.
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&2u32.to_le_bytes());
        tiff.extend_from_slice(b"N\0\0\0");
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        let mut seg = vec![0xFF, 0xE1];
        seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        seg.extend_from_slice(&payload);
        seg
    }

    /// `jpeg` with the EXIF segment spliced in right after SOI.
    pub fn with_exif(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&exif_app1());
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn has_app1_or_exif(bytes: &[u8]) -> bool {
        bytes.windows(2).any(|w| w == [0xFF, 0xE1]) || bytes.windows(4).any(|w| w == b"Exif")
    }

    #[test]
    fn exif_with_gps_is_gone_after_re_encoding() {
        let input = with_exif(&jpeg(64, 48));
        assert!(has_app1_or_exif(&input), "the test image carries EXIF");
        assert!(input.windows(2).any(|w| w == [0x25, 0x88]), "with a GPS IFD pointer");
        image::load_from_memory(&input).expect("the test image is a valid JPEG");
        let out = process(&input).unwrap();
        assert_eq!((out.content_type, out.width, out.height), (PhotoType::Jpeg, 64, 48));
        assert!(!has_app1_or_exif(&out.bytes), "no APP1 segment and no Exif bytes");
        let back = image::load_from_memory_with_format(&out.bytes, ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (64, 48));
    }

    #[test]
    fn large_photos_are_downsized_keeping_the_aspect_ratio() {
        let out = process(&jpeg(3000, 1500)).unwrap();
        assert_eq!((out.width, out.height), (2000, 1000));
        let back = image::load_from_memory(&out.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (2000, 1000));
    }

    #[test]
    fn png_and_webp_become_jpeg_and_transparency_turns_white() {
        let img = image::RgbaImage::from_pixel(10, 20, image::Rgba([0, 0, 0, 0]));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        let out = process(&png).unwrap();
        assert_eq!((out.content_type, out.width, out.height), (PhotoType::Jpeg, 10, 20));
        let back = image::load_from_memory(&out.bytes).unwrap().into_rgb8();
        assert!(back.get_pixel(5, 5).0.iter().all(|&c| c > 240), "white, not black");
        let mut webp = Vec::new();
        image::RgbaImage::from_pixel(8, 8, image::Rgba([200, 10, 10, 255]))
            .write_to(&mut Cursor::new(&mut webp), ImageFormat::WebP)
            .unwrap();
        assert_eq!(sniff(&webp), Some(ImageFormat::WebP));
        assert_eq!(process(&webp).unwrap().content_type, PhotoType::Jpeg);
    }

    #[test]
    fn the_type_comes_from_the_bytes_and_lies_are_refused() {
        assert_eq!(process(b"hello, this is a text file renamed to .jpg"), Err(PhotoError::NotAnImage));
        assert_eq!(process(b""), Err(PhotoError::NotAnImage));
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(process(gif), Err(PhotoError::NotAnImage), "GIF is not accepted");
        // JPEG magic, then garbage.
        let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
        fake.extend_from_slice(&[0x42; 200]);
        assert_eq!(process(&fake), Err(PhotoError::Undecodable));
        // Truncated JPEG.
        let real = jpeg(64, 64);
        assert!(process(&real[..real.len() / 3]).is_err());
    }

    #[test]
    fn oversize_files_and_decompression_bombs_are_refused() {
        let mut big = jpeg(16, 16);
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert_eq!(process(&big), Err(PhotoError::TooLarge));
        // A PNG whose header claims 9000 × 9000: refused from the header, nothing decoded.
        let mut png = Vec::new();
        image::GrayImage::new(1, 1).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        let bomb = with_dimensions(&png, 9000, 9000);
        assert_eq!(process(&bomb), Err(PhotoError::TooManyPixels));
        // 7000 × 7000 is within each side but 49 megapixels.
        let bomb = with_dimensions(&png, 7000, 7000);
        assert_eq!(process(&bomb), Err(PhotoError::TooManyPixels));
    }

    /// A PNG with its IHDR width and height rewritten (and the chunk's CRC fixed).
    fn with_dimensions(png: &[u8], w: u32, h: u32) -> Vec<u8> {
        let mut out = png.to_vec();
        // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
        out[16..20].copy_from_slice(&w.to_be_bytes());
        out[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32(&out[12..29]);
        out[29..33].copy_from_slice(&crc.to_be_bytes());
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
