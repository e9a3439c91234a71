//! The Belgian structured communication (*gestructureerde mededeling*, *communication
//! structurée*; OGM/VCS): the payment reference on a Belgian invoice, which the bank app reads
//! and the municipality's bookkeeping matches payments by.
//!
//! Twelve digits: a 10-digit base and two check digits, `base mod 97`, or `97` when that is 0.
//! Written `+++123/4567/89002+++` (banks also print `***…***`).
//!
//! Also the IBAN check (ISO 13616) for the account the invoice asks to pay into.
//!
//! Pure domain logic with no e-mail in it: it lives here for now because the invoice e-mail is
//! its first user, and may move to the booking crate later.

/// The largest base: ten digits.
pub const MAX_BASE: u64 = 9_999_999_999;

/// `+++ddd/dddd/ddddd+++` for `base` (leading zeros kept: base 42 is `+++000/0000/04242+++`).
///
/// # Panics
/// If `base` has more than ten digits (`base > MAX_BASE`): the caller numbers its invoices and
/// must keep them in range.
pub fn structured_communication(base: u64) -> String {
    assert!(base <= MAX_BASE, "a structured communication's base has at most 10 digits, not {base}");
    let digits = format!("{base:010}{:02}", check_digits(base));
    format!("+++{}/{}/{}+++", &digits[..3], &digits[3..7], &digits[7..])
}

/// The base of a valid structured communication, or `None`.
///
/// Accepts `+++ddd/dddd/ddddd+++`, the same between `***`, or the twelve digits alone, with
/// surrounding and inner spaces ignored (people copy it from paper). The check digits must be
/// right; `00` never is (a remainder of 0 is written `97`).
pub fn parse_structured_communication(text: &str) -> Option<u64> {
    let compact: String = text.chars().filter(|c| *c != ' ').collect();
    let inner = ["+++", "***"]
        .iter()
        .find_map(|d| compact.strip_prefix(d).and_then(|rest| rest.strip_suffix(d)))
        .unwrap_or(&compact);
    let digits: String = match inner.len() {
        12 => inner.to_string(),
        // `ddd/dddd/ddddd`: slashes only at those places.
        14 if inner.as_bytes()[3] == b'/' && inner.as_bytes()[8] == b'/' => inner.replace('/', ""),
        _ => return None,
    };
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let base: u64 = digits[..10].parse().ok()?;
    let check: u64 = digits[10..].parse().ok()?;
    (check == check_digits(base)).then_some(base)
}

/// The IBAN in its printed form, groups of four (`BE68 5390 0754 7034`), or `None` when it is
/// not a valid one: two country letters, two check digits, letters and digits up to 34 in all,
/// the whole mod 97 equal to 1; a Belgian (`BE`) one has exactly 16. Spaces and case are
/// ignored on input.
pub fn iban(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    let bytes = compact.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
        || (compact.starts_with("BE") && bytes.len() != 16)
    {
        return None;
    }
    // The first four characters move to the end; letters count as 10..35; mod 97 digit by digit.
    let remainder = bytes[4..].iter().chain(&bytes[..4]).fold(0u32, |r, b| match b {
        b'0'..=b'9' => (r * 10 + u32::from(b - b'0')) % 97,
        _ => (r * 100 + u32::from(b - b'A') + 10) % 97,
    });
    if remainder != 1 {
        return None;
    }
    let groups: Vec<&str> =
        compact.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("ASCII checked above")).collect();
    Some(groups.join(" "))
}

fn check_digits(base: u64) -> u64 {
    match base % 97 {
        0 => 97,
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_examples() {
        // 0123456789 mod 97 = 39.
        assert_eq!(structured_communication(123_456_789), "+++012/3456/78939+++");
        assert_eq!(structured_communication(42), "+++000/0000/04242+++");
        // A remainder of 0 is written 97.
        assert_eq!(structured_communication(97), "+++000/0000/09797+++");
        assert_eq!(structured_communication(0), "+++000/0000/00097+++");
        assert_eq!(structured_communication(MAX_BASE), "+++999/9999/99948+++");
        assert_eq!(parse_structured_communication("+++012/3456/78939+++"), Some(123_456_789));
        assert_eq!(parse_structured_communication("***012/3456/78939***"), Some(123_456_789));
        assert_eq!(parse_structured_communication(" +++ 012/3456/78939 +++ "), Some(123_456_789));
        assert_eq!(parse_structured_communication("012345678939"), Some(123_456_789));
    }

    #[test]
    fn malformed_ones_are_refused() {
        for bad in [
            "",
            "+++012/3456/78938+++",  // wrong check digits
            "+++000/0000/00000+++",  // 00 is never a check
            "+++012/3456/7893+++",   // eleven digits
            "+++012/3456/789390+++", // thirteen
            "+++0123/456/78939+++",  // slashes misplaced
            "+++012/3456/78939***",  // mixed delimiters
            "++012/3456/78939++",
            "+++012-3456-78939+++",
            "+++０12/3456/78939+++", // a full-width digit
            "+++01a/3456/78939+++",
        ] {
            assert_eq!(parse_structured_communication(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ibans_are_checked_and_grouped() {
        assert_eq!(iban("BE68539007547034").as_deref(), Some("BE68 5390 0754 7034"));
        assert_eq!(iban(" be68 5390 0754 7034 ").as_deref(), Some("BE68 5390 0754 7034"));
        assert_eq!(iban("NL91ABNA0417164300").as_deref(), Some("NL91 ABNA 0417 1643 00"));
        for bad in ["BE68539007547035", "BE6853900754703", "BE685390075470344", "XX68539007547034", "", "BE68-5390"] {
            assert_eq!(iban(bad), None, "{bad}");
        }
    }

    #[test]
    #[should_panic(expected = "at most 10 digits")]
    fn an_eleven_digit_base_panics() {
        structured_communication(MAX_BASE + 1);
    }

    proptest! {
        #[test]
        fn round_trips(base in 0..=MAX_BASE) {
            let text = structured_communication(base);
            prop_assert_eq!(text.len(), 20);
            prop_assert!(text.starts_with("+++") && text.ends_with("+++"));
            prop_assert_eq!(parse_structured_communication(&text), Some(base));
        }

        /// Mod 97 catches every single changed digit.
        #[test]
        fn a_changed_digit_is_caught(base in 0..=MAX_BASE, position in 0usize..12, delta in 1u8..10) {
            let text = structured_communication(base);
            let mut digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
            digits[position] = b'0' + (digits[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert_eq!(parse_structured_communication(&changed), None, "{} → {}", text, changed);
        }

        /// Two swapped neighbouring digits, which people do when typing, are caught too.
        #[test]
        fn swapped_neighbours_are_caught(base in 0..=MAX_BASE, position in 0usize..11) {
            let text = structured_communication(base);
            let mut digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
            prop_assume!(digits[position] != digits[position + 1]);
            digits.swap(position, position + 1);
            let swapped = String::from_utf8(digits).unwrap();
            prop_assert_eq!(parse_structured_communication(&swapped), None, "{} → {}", text, swapped);
        }

        #[test]
        fn parsing_anything_never_panics(text in ".{0,30}") {
            if let Some(base) = parse_structured_communication(&text) {
                prop_assert!(base <= MAX_BASE);
            }
        }
    }
}
