//! The snooze-time grammar: what a person types ("2h", "tomorrow", "next friday") or a client
//! sends (Unix seconds, ISO 8601) for "snooze this conversation until …".
//!
//! Every form resolves against a `now` and an account's time zone, so "tomorrow" is 09:00 on the
//! account's tomorrow, and "1d" is the same wall-clock time a calendar day later, 23 or 25 hours
//! away across a daylight-saving change. Minutes and hours are exact durations.
//!
//! The parser never panics and never overflows: every step is checked, and input it cannot make
//! sense of is an error, whatever it is.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Zoned};

use crate::time::Timestamp;

/// An account's time zone (IANA name such as "Europe/Paris"; default UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountZone {
    name: String,
    tz: TimeZone,
}

impl AccountZone {
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// None for a name that is not an IANA zone. The lookup is case-insensitive ("europe/paris"
    /// works and is named "Europe/Paris"); "UTC" and "Etc/UTC" work.
    pub fn named(name: &str) -> Option<Self> {
        let tz = TimeZone::get(name.trim()).ok()?;
        // jiff maps "Etc/Unknown" to its "unknown" zone: not an IANA zone.
        if tz.is_unknown() {
            return None;
        }
        let name = tz.iana_name().unwrap_or(name.trim()).to_owned();
        Some(Self { name, tz })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Default for AccountZone {
    fn default() -> Self {
        Self::utc()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SnoozeError {
    #[error("is empty")]
    Empty,
    #[error(
        "is not a time Confab understands (try \"5m\", \"2h\", \"tomorrow\", \"monday\", \"one week\" or an ISO 8601 time)"
    )]
    Unrecognised,
    #[error("is in the past")]
    InThePast,
    #[error("is too far in the future")]
    TooFar,
}

/// One row per accepted form, for the README's grammar table: (example, meaning).
pub const GRAMMAR: &[(&str, &str)] = &[
    (
        "1767600000",
        "Unix seconds, as Chatwoot's `snoozed_until` (a number or a string of digits)",
    ),
    (
        "5m, 5 min, 5 minutes, in 5 minutes, +5m",
        "5 minutes from now (exactly 300 s)",
    ),
    (
        "2h, 2 hr, 2 hours, in 2 hours, +2h",
        "2 hours from now (exactly 7200 s, whatever the clocks do)",
    ),
    ("+30", "30 minutes from now"),
    (
        "3d, 3 days, in 3 days",
        "the same local time 3 calendar days later (23 or 25 hours a day across a DST change)",
    ),
    (
        "1w, 2 weeks",
        "the same local time 7 or 14 calendar days later",
    ),
    (
        "1 month, 6 months",
        "the same local time N months later; the day is clamped to the month's end (Jan 31 + 1 month = Feb 28 or 29)",
    ),
    (
        "one week, two hours, a day, an hour",
        "the words one to twelve, a and an stand for the number",
    ),
    ("tomorrow", "09:00 local time on the next calendar day"),
    (
        "monday … sunday, mon, tue, wed, thu, fri, sat, sun, next friday",
        "09:00 local time on the next such weekday strictly after today (\"monday\" on a Monday is a week later)",
    ),
    (
        "next week",
        "09:00 local time on the next Monday strictly after today",
    ),
    ("next month", "09:00 local time on the 1st of next month"),
    (
        "2026-12-01T10:00:00Z, 2026-12-01T10:00:00.5+01:00",
        "that instant (RFC 3339 with an offset)",
    ),
    (
        "2026-12-01T10:00, 2026-12-01 10:00:00",
        "that local time in the account's time zone",
    ),
    ("2026-12-01", "09:00 local time on that day"),
];

/// The latest a snooze may end: this many calendar years after `now`.
const MAX_YEARS_AHEAD: i64 = 10;
/// The same limit in microseconds (3653 days), for a `now` jiff cannot represent.
const MAX_MICROS_AHEAD: i64 = 3653 * 86_400 * 1_000_000;
const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
/// Named days ("tomorrow", "monday", bare dates) start at this local hour.
const MORNING_HOUR: i8 = 9;

/// Parses a snooze time as a person or a client writes it, relative to `now` in `zone`.
///
/// The result is strictly after `now` and at most ten years after it.
pub fn parse_snooze(
    input: &str,
    now: Timestamp,
    zone: &AccountZone,
) -> Result<Timestamp, SnoozeError> {
    let text = normalise(input);
    if text.is_empty() {
        return Err(SnoozeError::Empty);
    }
    let at = resolve(&text, now, zone)?;
    if at <= now {
        return Err(SnoozeError::InThePast);
    }
    if at > latest_allowed(now, zone) {
        return Err(SnoozeError::TooFar);
    }
    Ok(at)
}

/// Lowercases ASCII and collapses every run of whitespace to one space, trimming both ends.
fn normalise(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for word in input.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.make_ascii_lowercase();
    out
}

fn resolve(text: &str, now: Timestamp, zone: &AccountZone) -> Result<Timestamp, SnoozeError> {
    if let Some(digits) = unix_seconds_digits(text) {
        return unix_seconds(digits);
    }
    if let Some(day) = named_day(text) {
        return named_day_at(day, now, zone);
    }
    if let Some(relative) = relative(text) {
        return relative_at(relative, now, zone);
    }
    if let Some(iso) = iso(text) {
        return iso_at(iso, zone);
    }
    Err(SnoozeError::Unrecognised)
}

/// The latest instant a snooze may end at: ten calendar years after `now` in the zone.
fn latest_allowed(now: Timestamp, zone: &AccountZone) -> Timestamp {
    let civil = local_now(now, zone).ok().and_then(|zoned| {
        let span = Span::new().try_years(MAX_YEARS_AHEAD).ok()?;
        zoned.checked_add(span).ok()
    });
    match civil {
        Some(limit) => from_jiff(limit.timestamp()),
        None => Timestamp::from_micros(now.as_micros().saturating_add(MAX_MICROS_AHEAD)),
    }
}

fn to_jiff(at: Timestamp) -> Result<jiff::Timestamp, SnoozeError> {
    // Only an instant beyond jiff's years -9999..=9999 fails; such a `now` leaves no
    // representable future.
    jiff::Timestamp::from_microsecond(at.as_micros()).map_err(|_| SnoozeError::TooFar)
}

fn from_jiff(at: jiff::Timestamp) -> Timestamp {
    Timestamp::from_micros(at.as_microsecond())
}

fn local_now(now: Timestamp, zone: &AccountZone) -> Result<Zoned, SnoozeError> {
    Ok(to_jiff(now)?.to_zoned(zone.tz.clone()))
}

/// A local wall-clock time in the zone: a time in a DST gap moves forward by the gap's length,
/// a time in a fold takes the earlier instant (jiff's "compatible" disambiguation).
fn local_instant(dt: DateTime, zone: &AccountZone) -> Result<Timestamp, SnoozeError> {
    zone.tz
        .to_ambiguous_timestamp(dt)
        .compatible()
        .map(from_jiff)
        .map_err(|_| SnoozeError::TooFar)
}

fn morning_of(date: Date, zone: &AccountZone) -> Result<Timestamp, SnoozeError> {
    local_instant(date.at(MORNING_HOUR, 0, 0, 0), zone)
}

// --- Unix seconds ---------------------------------------------------------------------------

/// The digits of a bare (optionally double-quoted) integer.
fn unix_seconds_digits(text: &str) -> Option<&str> {
    let digits = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text);
    is_digits(digits).then_some(digits)
}

fn unix_seconds(digits: &str) -> Result<Timestamp, SnoozeError> {
    let seconds = amount(digits)?;
    let micros = seconds
        .checked_mul(MICROS_PER_SECOND)
        .ok_or(SnoozeError::TooFar)?;
    Ok(Timestamp::from_micros(micros))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A run of digits as a count. Only overflow can fail, and a number too big for an `i64` is far
/// beyond any allowed snooze.
fn amount(digits: &str) -> Result<i64, SnoozeError> {
    digits.parse::<i64>().map_err(|_| SnoozeError::TooFar)
}

// --- Named days -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum NamedDay {
    Tomorrow,
    Weekday(Weekday),
    NextWeek,
    NextMonth,
}

fn named_day(text: &str) -> Option<NamedDay> {
    match text {
        "tomorrow" => return Some(NamedDay::Tomorrow),
        "next week" => return Some(NamedDay::NextWeek),
        "next month" => return Some(NamedDay::NextMonth),
        _ => {}
    }
    let name = text.strip_prefix("next ").unwrap_or(text);
    weekday(name).map(NamedDay::Weekday)
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "monday" | "mon" => Weekday::Monday,
        "tuesday" | "tue" | "tues" => Weekday::Tuesday,
        "wednesday" | "wed" => Weekday::Wednesday,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thursday,
        "friday" | "fri" => Weekday::Friday,
        "saturday" | "sat" => Weekday::Saturday,
        "sunday" | "sun" => Weekday::Sunday,
        _ => return None,
    })
}

fn named_day_at(
    day: NamedDay,
    now: Timestamp,
    zone: &AccountZone,
) -> Result<Timestamp, SnoozeError> {
    let today = local_now(now, zone)?.date();
    let date = match day {
        NamedDay::Tomorrow => today.tomorrow(),
        // `nth_weekday(1, _)` is the first such weekday strictly after `today`.
        NamedDay::Weekday(weekday) => today.nth_weekday(1, weekday),
        NamedDay::NextWeek => today.nth_weekday(1, Weekday::Monday),
        NamedDay::NextMonth => Span::new()
            .try_months(1)
            .and_then(|month| today.first_of_month().checked_add(month)),
    }
    .map_err(|_| SnoozeError::TooFar)?;
    morning_of(date, zone)
}

// --- Relative amounts -----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

#[derive(Debug, Clone, Copy)]
enum Count<'a> {
    Digits(&'a str),
    Word(i64),
}

#[derive(Debug, Clone, Copy)]
struct Relative<'a> {
    count: Count<'a>,
    unit: Unit,
}

/// `[in |+]N[ ]unit`, `in|+` optional, where N is digits or a number word (then followed by a
/// space), and `+N` alone is N minutes.
fn relative(text: &str) -> Option<Relative<'_>> {
    let (rest, plus) = if let Some(rest) = text.strip_prefix("in ") {
        (rest, false)
    } else if let Some(rest) = text.strip_prefix('+') {
        (rest.strip_prefix(' ').unwrap_or(rest), true)
    } else {
        (text, false)
    };

    let digits_end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    if digits_end > 0 {
        let (digits, unit) = rest.split_at(digits_end);
        let count = Count::Digits(digits);
        if unit.is_empty() {
            // "+30": minutes. A bare number without '+' is Unix seconds, handled before.
            return plus.then_some(Relative {
                count,
                unit: Unit::Minute,
            });
        }
        let unit = self::unit(unit.strip_prefix(' ').unwrap_or(unit))?;
        return Some(Relative { count, unit });
    }

    // Number words only after "in" or nothing: "+one hour" is not a thing people write.
    if plus {
        return None;
    }
    let (word, unit) = rest.split_once(' ')?;
    Some(Relative {
        count: Count::Word(number_word(word)?),
        unit: self::unit(unit)?,
    })
}

fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
        "d" | "day" | "days" => Unit::Day,
        "w" | "week" | "weeks" => Unit::Week,
        "month" | "months" => Unit::Month,
        _ => return None,
    })
}

fn number_word(word: &str) -> Option<i64> {
    Some(match word {
        "a" | "an" | "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        _ => return None,
    })
}

fn relative_at(
    relative: Relative<'_>,
    now: Timestamp,
    zone: &AccountZone,
) -> Result<Timestamp, SnoozeError> {
    let n = match relative.count {
        Count::Digits(digits) => amount(digits)?,
        Count::Word(n) => n,
    };
    let exact = |per: i64| {
        n.checked_mul(per)
            .and_then(|micros| now.as_micros().checked_add(micros))
            .map(Timestamp::from_micros)
            .ok_or(SnoozeError::TooFar)
    };
    let span = match relative.unit {
        Unit::Minute => return exact(MICROS_PER_MINUTE),
        Unit::Hour => return exact(MICROS_PER_HOUR),
        Unit::Day => Span::new().try_days(n),
        Unit::Week => Span::new().try_weeks(n),
        Unit::Month => Span::new().try_months(n),
    }
    .map_err(|_| SnoozeError::TooFar)?;
    let later = local_now(now, zone)?
        .datetime()
        .checked_add(span)
        .map_err(|_| SnoozeError::TooFar)?;
    local_instant(later, zone)
}

// --- ISO 8601 -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Iso {
    /// `2026-12-01`
    Date(Date),
    /// `2026-12-01T10:00[:00[.5]]`, local to the zone.
    Local(DateTime),
    /// `2026-12-01T10:00[:00[.5]](Z|±HH[:MM])`
    Instant(jiff::Timestamp),
}

/// A cursor over the (lowercased) bytes of an ISO 8601 text.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.at += 1;
        }
        hit
    }

    /// Exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize) -> Option<i32> {
        let end = self.at.checked_add(count)?;
        let run = self.bytes.get(self.at..end)?;
        let mut value: i32 = 0;
        for &byte in run {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value.checked_mul(10)?.checked_add(i32::from(byte - b'0'))?;
        }
        self.at = end;
        Some(value)
    }

    /// One to nine digits after a decimal point, as nanoseconds.
    fn fraction(&mut self) -> Option<i32> {
        let mut nanos: i32 = 0;
        let mut count = 0;
        while let Some(byte) = self.peek().filter(u8::is_ascii_digit) {
            if count == 9 {
                return None;
            }
            nanos = nanos * 10 + i32::from(byte - b'0');
            count += 1;
            self.at += 1;
        }
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
        Some(nanos)
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

fn iso(text: &str) -> Option<Iso> {
    let mut cur = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = cur.digits(4)?;
    if !cur.eat(b'-') {
        return None;
    }
    let month = cur.digits(2)?;
    if !cur.eat(b'-') {
        return None;
    }
    let day = cur.digits(2)?;
    let date = Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    if cur.done() {
        return Some(Iso::Date(date));
    }

    if !(cur.eat(b't') || cur.eat(b' ')) {
        return None;
    }
    let hour = cur.digits(2)?;
    if !cur.eat(b':') {
        return None;
    }
    let minute = cur.digits(2)?;
    let mut second = 0;
    let mut nanos = 0;
    if cur.eat(b':') {
        // A leap second reads as the last second of its minute, as jiff's own parser does.
        second = cur.digits(2)?.min(59);
        if cur.eat(b'.') || cur.eat(b',') {
            nanos = cur.fraction()?;
        }
    }
    let dt = DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    if cur.done() {
        return Some(Iso::Local(dt));
    }

    let offset = offset(&mut cur)?;
    if !cur.done() {
        return None;
    }
    offset.to_timestamp(dt).ok().map(Iso::Instant)
}

/// `z`, or `±HH`, `±HH:MM`, `±HHMM` with at most 23:59.
fn offset(cur: &mut Cursor<'_>) -> Option<Offset> {
    if cur.eat(b'z') {
        return Some(Offset::UTC);
    }
    let sign = if cur.eat(b'+') {
        1
    } else if cur.eat(b'-') {
        -1
    } else {
        return None;
    };
    let hours = cur.digits(2)?;
    let minutes = if cur.done() {
        0
    } else {
        cur.eat(b':');
        cur.digits(2)?
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

fn iso_at(iso: Iso, zone: &AccountZone) -> Result<Timestamp, SnoozeError> {
    match iso {
        Iso::Date(date) => morning_of(date, zone),
        Iso::Local(dt) => local_instant(dt, zone),
        Iso::Instant(at) => Ok(from_jiff(at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> AccountZone {
        AccountZone::named("Europe/Paris").unwrap()
    }

    fn new_york() -> AccountZone {
        AccountZone::named("America/New_York").unwrap()
    }

    fn utc() -> AccountZone {
        AccountZone::utc()
    }

    /// An RFC 3339 instant, e.g. "2026-03-28T10:00:00+01:00".
    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).unwrap()
    }

    fn snooze(input: &str, now: &str, zone: &AccountZone) -> Result<Timestamp, SnoozeError> {
        parse_snooze(input, at(now), zone)
    }

    /// Asserts every input resolves to `expected`.
    fn assert_all(inputs: &[&str], now: &str, zone: &AccountZone, expected: &str) {
        for input in inputs {
            assert_eq!(
                snooze(input, now, zone),
                Ok(at(expected)),
                "input {input:?} at {now} in {}",
                zone.name()
            );
        }
    }

    // 2026-01-07 is a Wednesday.
    const WEDNESDAY: &str = "2026-01-07T15:20:00Z";

    #[test]
    fn minutes_are_exact_durations_in_every_spelling() {
        assert_all(
            &[
                "5m",
                "5 m",
                "5min",
                "5 mins",
                "5 minute",
                "5 minutes",
                "in 5 minutes",
                "+5m",
                "+5 min",
                "five minutes",
                "in five mins",
                "  5   MINUTES ",
            ],
            WEDNESDAY,
            &utc(),
            "2026-01-07T15:25:00Z",
        );
    }

    #[test]
    fn hours_are_exact_durations_in_every_spelling() {
        assert_all(
            &[
                "2h",
                "2 h",
                "2hr",
                "2 hrs",
                "2 hour",
                "2 hours",
                "in 2 hours",
                "In 2 Hours",
                "+2h",
                "two hours",
            ],
            WEDNESDAY,
            &utc(),
            "2026-01-07T17:20:00Z",
        );
        assert_all(
            &["an hour", "in an hour", "1h", "one hour"],
            WEDNESDAY,
            &utc(),
            "2026-01-07T16:20:00Z",
        );
    }

    #[test]
    fn days_are_calendar_days_in_every_spelling() {
        assert_all(
            &[
                "3d",
                "3 d",
                "3 day",
                "3 days",
                "in 3 days",
                "+3d",
                "three days",
            ],
            WEDNESDAY,
            &utc(),
            "2026-01-10T15:20:00Z",
        );
        assert_all(
            &["a day", "1d", "one day"],
            WEDNESDAY,
            &utc(),
            "2026-01-08T15:20:00Z",
        );
    }

    #[test]
    fn weeks_are_seven_calendar_days_in_every_spelling() {
        assert_all(
            &["2w", "2 w", "2 week", "2 weeks", "in 2 weeks", "two weeks"],
            WEDNESDAY,
            &utc(),
            "2026-01-21T15:20:00Z",
        );
        assert_all(
            &["one week", "a week", "1w", "+1w"],
            WEDNESDAY,
            &utc(),
            "2026-01-14T15:20:00Z",
        );
    }

    #[test]
    fn months_are_calendar_months_in_every_spelling() {
        assert_all(
            &[
                "1 month",
                "1month",
                "one month",
                "a month",
                "in a month",
                "+1 month",
            ],
            WEDNESDAY,
            &utc(),
            "2026-02-07T15:20:00Z",
        );
        assert_all(
            &["6 months", "six months", "in 6 months"],
            WEDNESDAY,
            &utc(),
            "2026-07-07T15:20:00Z",
        );
    }

    #[test]
    fn a_plus_and_a_bare_number_means_minutes() {
        assert_all(
            &["+30", "+ 30", " +30 "],
            WEDNESDAY,
            &utc(),
            "2026-01-07T15:50:00Z",
        );
    }

    #[test]
    fn every_number_word_from_one_to_twelve_counts() {
        let words = [
            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve",
        ];
        let now = at(WEDNESDAY);
        for (n, word) in (1_i64..).zip(words) {
            assert_eq!(
                parse_snooze(&format!("{word} hours"), now, &utc()),
                Ok(Timestamp::from_micros(now.as_micros() + n * 3_600_000_000)),
                "{word}"
            );
        }
        assert_eq!(
            snooze("thirteen hours", WEDNESDAY, &utc()),
            Err(SnoozeError::Unrecognised)
        );
    }

    #[test]
    fn a_zero_amount_is_in_the_past() {
        for input in [
            "0m",
            "0 hours",
            "0d",
            "0w",
            "0 months",
            "+0",
            "in 0 minutes",
            "+00",
        ] {
            assert_eq!(
                snooze(input, WEDNESDAY, &paris()),
                Err(SnoozeError::InThePast),
                "{input}"
            );
        }
    }

    #[test]
    fn tomorrow_is_nine_in_the_morning_of_the_next_local_day() {
        assert_all(
            &["tomorrow", "Tomorrow", " TOMORROW "],
            "2026-01-07T15:20:00+01:00",
            &paris(),
            "2026-01-08T09:00:00+01:00",
        );
    }

    #[test]
    fn tomorrow_just_before_local_midnight_is_the_next_local_day() {
        // 23:30 on the 7th in Paris: tomorrow is the 8th at 09:00 Paris.
        assert_all(
            &["tomorrow"],
            "2026-01-07T23:30:00+01:00",
            &paris(),
            "2026-01-08T09:00:00+01:00",
        );
        // 23:30 on the 7th in New York is already 04:30 on the 8th in UTC; the account's
        // tomorrow is still the 8th.
        assert_all(
            &["tomorrow"],
            "2026-01-07T23:30:00-05:00",
            &new_york(),
            "2026-01-08T09:00:00-05:00",
        );
    }

    #[test]
    fn tomorrow_just_after_local_midnight_skips_the_day_that_has_just_begun() {
        // 00:30 on the 8th in Paris is still 23:30 on the 7th in UTC: tomorrow is the 9th.
        assert_all(
            &["tomorrow"],
            "2026-01-08T00:30:00+01:00",
            &paris(),
            "2026-01-09T09:00:00+01:00",
        );
        // The same instant in UTC means the 8th.
        assert_all(
            &["tomorrow"],
            "2026-01-08T00:30:00+01:00",
            &utc(),
            "2026-01-08T09:00:00Z",
        );
    }

    #[test]
    fn every_weekday_name_means_its_next_occurrence_at_nine() {
        // Said on Wednesday 2026-01-07 in New York.
        let now = "2026-01-07T15:20:00-05:00";
        let cases: &[(&[&str], &str)] = &[
            (
                &["thursday", "thu", "thur", "thurs", "next thursday"],
                "2026-01-08",
            ),
            (
                &["friday", "fri", "next friday", "Next  Friday"],
                "2026-01-09",
            ),
            (&["saturday", "sat", "next saturday"], "2026-01-10"),
            (&["sunday", "sun", "next sunday"], "2026-01-11"),
            (&["monday", "mon", "next monday", "MONDAY"], "2026-01-12"),
            (&["tuesday", "tue", "tues", "next tuesday"], "2026-01-13"),
            (&["wednesday", "wed", "next wednesday"], "2026-01-14"),
        ];
        for (inputs, day) in cases {
            assert_all(inputs, now, &new_york(), &format!("{day}T09:00:00-05:00"));
        }
    }

    #[test]
    fn monday_said_on_a_monday_means_next_week() {
        // 2026-01-12 is a Monday: before and after 09:00 Paris alike.
        for now in ["2026-01-12T07:00:00+01:00", "2026-01-12T10:00:00+01:00"] {
            assert_all(
                &["monday", "mon"],
                now,
                &paris(),
                "2026-01-19T09:00:00+01:00",
            );
        }
    }

    #[test]
    fn next_week_is_the_next_monday_at_nine() {
        // Sunday 2026-01-11: the very next day.
        assert_all(
            &["next week", "Next Week"],
            "2026-01-11T20:00:00+01:00",
            &paris(),
            "2026-01-12T09:00:00+01:00",
        );
        // Monday 2026-01-12, before 09:00: still the following Monday.
        assert_all(
            &["next week"],
            "2026-01-12T08:00:00+01:00",
            &paris(),
            "2026-01-19T09:00:00+01:00",
        );
    }

    #[test]
    fn next_month_is_the_first_of_next_month_at_nine() {
        assert_all(
            &["next month"],
            "2026-01-31T22:00:00+01:00",
            &paris(),
            "2026-02-01T09:00:00+01:00",
        );
        assert_all(
            &["next month"],
            "2026-12-15T10:00:00Z",
            &utc(),
            "2027-01-01T09:00:00Z",
        );
    }

    #[test]
    fn one_month_from_january_31_clamps_to_the_end_of_february() {
        assert_all(
            &["one month", "1 month"],
            "2026-01-31T10:00:00Z",
            &utc(),
            "2026-02-28T10:00:00Z",
        );
        // 2028 is a leap year.
        assert_all(
            &["one month"],
            "2028-01-31T10:00:00Z",
            &utc(),
            "2028-02-29T10:00:00Z",
        );
    }

    #[test]
    fn one_month_from_march_31_is_april_30() {
        assert_all(
            &["one month"],
            "2026-03-31T10:00:00+02:00",
            &paris(),
            "2026-04-30T10:00:00+02:00",
        );
    }

    #[test]
    fn one_day_across_the_spring_forward_change_is_23_hours() {
        // Paris springs forward at 02:00 on 2026-03-29.
        let now = "2026-03-28T10:00:00+01:00";
        let got = snooze("1d", now, &paris()).unwrap();
        assert_eq!(got, at("2026-03-29T10:00:00+02:00"));
        assert_eq!(got.as_micros() - at(now).as_micros(), 23 * 3_600_000_000);
    }

    #[test]
    fn one_day_across_the_fall_back_change_is_25_hours() {
        // Paris falls back at 03:00 on 2026-10-25.
        let now = "2026-10-24T10:00:00+02:00";
        let got = snooze("1d", now, &paris()).unwrap();
        assert_eq!(got, at("2026-10-25T10:00:00+01:00"));
        assert_eq!(got.as_micros() - at(now).as_micros(), 25 * 3_600_000_000);
    }

    #[test]
    fn tomorrow_across_a_dst_change_is_nine_local_time() {
        assert_all(
            &["tomorrow"],
            "2026-03-28T22:00:00+01:00",
            &paris(),
            "2026-03-29T09:00:00+02:00",
        );
        assert_all(
            &["tomorrow"],
            "2026-10-24T22:00:00+02:00",
            &paris(),
            "2026-10-25T09:00:00+01:00",
        );
    }

    #[test]
    fn hours_across_a_dst_change_stay_exact() {
        for now in ["2026-03-29T01:30:00+01:00", "2026-10-25T02:30:00+02:00"] {
            let got = snooze("2h", now, &paris()).unwrap();
            assert_eq!(
                got.as_micros() - at(now).as_micros(),
                7_200_000_000,
                "{now}"
            );
        }
    }

    #[test]
    fn a_local_time_in_the_spring_forward_gap_moves_forward() {
        // 02:30 does not exist in Paris on 2026-03-29: it reads as 03:30 CEST.
        assert_all(
            &["2026-03-29T02:30", "2026-03-29 02:30:00"],
            "2026-03-01T00:00:00Z",
            &paris(),
            "2026-03-29T03:30:00+02:00",
        );
    }

    #[test]
    fn a_local_time_in_the_fall_back_fold_takes_the_earlier_instant() {
        assert_all(
            &["2026-10-25T02:30"],
            "2026-10-01T00:00:00Z",
            &paris(),
            "2026-10-25T02:30:00+02:00",
        );
    }

    #[test]
    fn rfc3339_with_an_offset_is_that_instant_whatever_the_zone() {
        let now = "2026-06-01T00:00:00Z";
        assert_all(
            &[
                "2026-12-01T10:00:00Z",
                "2026-12-01t10:00:00z",
                "2026-12-01T10:00Z",
            ],
            now,
            &paris(),
            "2026-12-01T10:00:00Z",
        );
        assert_all(
            &[
                "2026-12-01T10:00:00+01:00",
                "2026-12-01 10:00:00+0100",
                "2026-12-01T10:00+01",
            ],
            now,
            &new_york(),
            "2026-12-01T09:00:00Z",
        );
        assert_all(
            &[
                "2026-12-01T10:00:00.250-05:00",
                "2026-12-01T10:00:00,25-05:00",
            ],
            now,
            &utc(),
            "2026-12-01T15:00:00.250Z",
        );
    }

    #[test]
    fn a_date_time_without_an_offset_is_local_to_the_zone() {
        assert_all(
            &[
                "2026-12-01T10:00",
                "2026-12-01T10:00:00",
                "2026-12-01 10:00",
                "2026-12-01   10:00:00",
                "2026-12-01T10:00:00.000",
            ],
            "2026-06-01T00:00:00Z",
            &paris(),
            "2026-12-01T10:00:00+01:00",
        );
    }

    #[test]
    fn a_bare_date_is_nine_in_the_morning_local_time() {
        assert_all(
            &["2026-12-01"],
            "2026-06-01T00:00:00Z",
            &new_york(),
            "2026-12-01T09:00:00-05:00",
        );
    }

    #[test]
    fn bare_digits_are_unix_seconds() {
        assert_all(
            &["1767600000", "\"1767600000\"", " 1767600000 "],
            "2026-01-01T00:00:00Z",
            &paris(),
            "2026-01-05T08:00:00Z",
        );
    }

    #[test]
    fn past_values_in_every_absolute_form_are_in_the_past() {
        let now = "2026-01-07T15:20:00Z";
        for input in [
            "1767600000",
            "0",
            "5",
            "2026-01-07T15:20:00Z",
            "2026-01-07T15:19:59.999Z",
            "2025-12-31",
            "2026-01-07",
            "2026-01-07T16:20",
        ] {
            assert_eq!(
                snooze(input, now, &paris()),
                Err(SnoozeError::InThePast),
                "{input}"
            );
        }
    }

    #[test]
    fn more_than_ten_years_ahead_is_too_far() {
        let now = "2026-01-07T15:20:00Z";
        for input in [
            "2037-01-07",
            "2037-01-07T15:20:00Z",
            "2099999999",
            "132 months",
            "575w",
            "4000d",
            "99999999999999999999999m",
            "99999999999999999999d",
            "9223372036854775807 months",
            "9223372036854775807",
            "99999999999999999999",
        ] {
            assert_eq!(
                snooze(input, now, &utc()),
                Err(SnoozeError::TooFar),
                "{input}"
            );
        }
        // Exactly ten years is still allowed.
        assert_all(&["120 months"], now, &utc(), "2036-01-07T15:20:00Z");
    }

    #[test]
    fn empty_and_blank_input_is_empty() {
        for input in ["", "   ", "\t\n "] {
            assert_eq!(
                snooze(input, WEDNESDAY, &utc()),
                Err(SnoozeError::Empty),
                "{input:?}"
            );
        }
    }

    #[test]
    fn garbage_is_unrecognised() {
        for input in [
            "soon",
            "5x",
            "+",
            "++5",
            "+-5",
            "-5m",
            "mondayy",
            "next",
            "next monthh",
            "in",
            "in 5",
            "5",
            "m5",
            "5 m m",
            "+one hour",
            "onehour",
            "in in 5m",
            "five",
            "2026-13-01",
            "2026-02-30",
            "2026-12-01T25:00",
            "2026-12-01T10:00+24:00",
            "2026-12-01T10:00:00.1234567890Z",
            "2026-12-01T10",
            "2026-12-01T10:00 z",
            "２h",
            "5 мин",
            "\"5m\"",
            "\"\"",
        ] {
            let got = snooze(input, WEDNESDAY, &paris());
            // "5" alone is Unix seconds (so in the past), the rest cannot be read at all.
            let expected = if input == "5" {
                SnoozeError::InThePast
            } else {
                SnoozeError::Unrecognised
            };
            assert_eq!(got, Err(expected), "{input:?}");
        }
    }

    #[test]
    fn account_zones_are_iana_names() {
        assert_eq!(paris().name(), "Europe/Paris");
        assert_eq!(
            AccountZone::named("europe/paris").unwrap().name(),
            "Europe/Paris"
        );
        assert_eq!(AccountZone::named("UTC").unwrap().name(), "UTC");
        assert!(AccountZone::named("Etc/UTC").is_some());
        assert_eq!(AccountZone::default(), AccountZone::utc());
        assert_eq!(AccountZone::utc().name(), "UTC");
        for bad in ["Mars/Olympus_Mons", "", "Etc/Unknown", "+01:00"] {
            assert_eq!(AccountZone::named(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_grammar_table_examples_parse() {
        // Before the Unix-seconds example (2026-01-05T08:00:00Z).
        let now = at("2026-01-01T15:20:00Z");
        for (examples, _) in GRAMMAR {
            for example in examples.split(", ") {
                if example.contains('…') {
                    continue;
                }
                assert!(
                    parse_snooze(example, now, &paris()).is_ok(),
                    "GRAMMAR example {example:?}"
                );
            }
        }
    }

    /// A tiny xorshift generator, so the test needs no dependency and replays identically.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % n as u64).unwrap()
        }
    }

    #[test]
    fn thousands_of_random_strings_never_panic() {
        let alphabet: Vec<char> = "0123456789abcdefhimnorstuwyTZ+-:. é日\u{1F600}"
            .chars()
            .collect();
        let valid: Vec<&str> = GRAMMAR
            .iter()
            .flat_map(|(examples, _)| examples.split(", "))
            .collect();
        let zones = [utc(), paris(), new_york()];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut oks = 0;
        for round in 0..6000 {
            let mut input: String = if round % 2 == 0 {
                let len = rng.below(40);
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect()
            } else {
                valid[rng.below(valid.len())].to_owned()
            };
            // Mutate: replace, insert or delete a few characters.
            for _ in 0..rng.below(4) {
                let mut chars: Vec<char> = input.chars().collect();
                let c = alphabet[rng.below(alphabet.len())];
                let i = rng.below(chars.len() + 1);
                match rng.below(3) {
                    0 if i < chars.len() => chars[i] = c,
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ => chars.insert(i, c),
                }
                input = chars.into_iter().collect();
            }
            let offset = i64::try_from(rng.next() >> 16).unwrap();
            let now = Timestamp::from_micros(1_767_600_000_000_000 + offset);
            let zone = &zones[rng.below(zones.len())];
            if let Ok(got) = parse_snooze(&input, now, zone) {
                assert!(got > now, "{input:?}");
                oks += 1;
            }
        }
        // The mutated examples keep a fair share valid: the generator does reach the grammar.
        assert!(oks > 100, "only {oks} inputs parsed");
    }

    #[test]
    fn extreme_nows_never_panic() {
        for micros in [i64::MIN, -1, 0, 253_402_300_799_000_000, i64::MAX] {
            let now = Timestamp::from_micros(micros);
            for input in [
                "5m",
                "tomorrow",
                "1d",
                "next month",
                "2026-12-01",
                "1767600000",
            ] {
                let _ = parse_snooze(input, now, &paris());
            }
        }
        assert_eq!(
            parse_snooze("5m", Timestamp::from_micros(i64::MAX), &utc()),
            Err(SnoozeError::TooFar)
        );
    }
}
