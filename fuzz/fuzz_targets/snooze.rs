//! Feeds arbitrary text to the snooze grammar: it must never panic, and whatever it accepts
//! must lie strictly after `now`.

#![no_main]

use confab_domain::Timestamp;
use confab_domain::snooze::{AccountZone, parse_snooze};
use libfuzzer_sys::fuzz_target;

/// 2026-01-05T08:00:00Z.
const BASE_MICROS: i64 = 1_767_600_000_000_000;

fuzz_target!(|data: &[u8]| {
    // The first four bytes move `now` (up to ~248 days either way, across both DST changes
    // of 2026) and pick the zone; the rest is the text.
    let Some((head, text)) = data.split_first_chunk::<4>() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let shift = i64::from(i32::from_le_bytes(*head)) * 10_000;
    let now = Timestamp::from_micros(BASE_MICROS + shift);
    let zone = match head[0] % 3 {
        0 => AccountZone::utc(),
        1 => AccountZone::named("Europe/Paris").unwrap_or_default(),
        _ => AccountZone::named("America/New_York").unwrap_or_default(),
    };
    if let Ok(at) = parse_snooze(text, now, &zone) {
        assert!(at > now, "{text:?} at {now:?} gave {at:?}");
    }
});
