//! Little-endian integers read from byte slices: the one reader every format uses (cabinet,
//! compound file, PE, Authenticode, ISO 9660, UDF).
//!
//! One behaviour on short input: a field that does not lie wholly inside the slice reads as
//! 0, and nothing here ever panics. Readers check a record's length before they decode it (a
//! record cut short is an error of its format, with its own message); 0 is only what a field
//! beyond the end of a record of unchecked, attacker-chosen length yields, and every caller
//! treats 0 as "absent" or "invalid" (no offset, no size, no count).

/// The `u16` at `at`, or 0 when `b` ends before `at + 2`.
pub fn u16_at(b: &[u8], at: usize) -> u16 {
    field::<2>(b, at).map_or(0, u16::from_le_bytes)
}

/// The `u32` at `at`, or 0 when `b` ends before `at + 4`.
pub fn u32_at(b: &[u8], at: usize) -> u32 {
    field::<4>(b, at).map_or(0, u32::from_le_bytes)
}

/// The `u64` at `at`, or 0 when `b` ends before `at + 8`.
pub fn u64_at(b: &[u8], at: usize) -> u64 {
    field::<8>(b, at).map_or(0, u64::from_le_bytes)
}

/// The `N` bytes at `at`, when they lie inside `b` (an `at` near `usize::MAX` included).
fn field<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_inside_the_slice_are_little_endian() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(u16_at(&b, 0), 0x0201);
        assert_eq!(u32_at(&b, 1), 0x0504_0302);
        assert_eq!(u64_at(&b, 1), 0x0908_0706_0504_0302);
    }

    #[test]
    fn a_field_past_the_end_reads_as_zero_and_never_panics() {
        let b = [0xffu8; 5];
        assert_eq!(u16_at(&b, 4), 0, "one byte of two");
        assert_eq!(u32_at(&b, 2), 0, "three bytes of four");
        assert_eq!(u64_at(&b, 0), 0, "five bytes of eight");
        assert_eq!(u32_at(&[], 0), 0);
        assert_eq!(u32_at(&b, usize::MAX), 0, "offset overflow");
        assert_eq!(u16_at(&b, usize::MAX - 1), 0);
    }
}
