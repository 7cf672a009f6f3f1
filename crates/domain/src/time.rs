//! `Timestamp`: the one representation of an instant in Confab.
//!
//! Stored as microseconds since the Unix epoch in a 64-bit integer column on both engines.
//! That deviates from ARCHITECTURE.md's "timestamptz / fixed-width text" mapping on purpose:
//! one integer codec cannot drift between engines, sorts correctly everywhere, makes smaller
//! indexes, and Chatwoot's wire format wants Unix seconds for most fields anyway.

use ::time::OffsetDateTime;
use ::time::format_description::well_known::Rfc3339;

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From microseconds since the Unix epoch.
    pub fn from_micros(micros: i64) -> Self {
        Self(micros)
    }
    /// From whole seconds since the Unix epoch.
    pub fn from_unix_seconds(secs: i64) -> Self {
        Self(secs.saturating_mul(1_000_000))
    }
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        let nanos = dt.unix_timestamp_nanos();
        Self(i64::try_from(nanos / 1_000).unwrap_or(i64::MAX))
    }
    pub fn as_micros(self) -> i64 {
        self.0
    }
    /// Whole Unix seconds, rounded down, as Chatwoot's integer timestamps.
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
    /// Rails' JSON time format: `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, 3 decimals).
    pub fn to_rails_iso(self) -> String {
        let dt = self.to_datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }
    /// Parses RFC 3339 / ISO 8601 with an offset.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .map(Self::from_datetime)
    }
    /// The start (00:00 UTC) of the day a `YYYY-MM-DD` (optionally followed by a time) names.
    pub fn parse_day_start(s: &str) -> Option<Self> {
        let day = s.get(..10)?;
        let fmt = ::time::macros::format_description!("[year]-[month]-[day]");
        let date = ::time::Date::parse(day, &fmt).ok()?;
        Some(Self::from_datetime(date.midnight().assume_utc()))
    }
    /// The start (00:00 UTC) of this instant's day.
    pub fn day_start(self) -> Self {
        Self::from_datetime(self.to_datetime().date().midnight().assume_utc())
    }
    /// This instant plus a number of seconds (saturating).
    pub fn plus_seconds(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1_000_000)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rails_iso_has_three_decimals_and_z() {
        let t = Timestamp::from_micros(1_700_000_000_123_456);
        assert_eq!(t.to_rails_iso(), "2023-11-14T22:13:20.123Z");
        assert_eq!(t.unix_seconds(), 1_700_000_000);
    }

    #[test]
    fn rfc3339_round_trips_to_the_microsecond() {
        let t = Timestamp::parse_rfc3339("2026-11-21T10:00:00.250+01:00").unwrap();
        assert_eq!(t.to_rails_iso(), "2026-11-21T09:00:00.250Z");
        assert_eq!(Timestamp::from_datetime(t.to_datetime()), t);
    }

    #[test]
    fn day_start_parses_dates_and_date_times() {
        let d = Timestamp::parse_day_start("2024-02-29").unwrap();
        assert_eq!(d.to_rails_iso(), "2024-02-29T00:00:00.000Z");
        assert_eq!(Timestamp::parse_day_start("2024-02-29T13:00:00Z"), Some(d));
        assert_eq!(Timestamp::parse_day_start("2023-02-29"), None);
        assert_eq!(Timestamp::parse_day_start("soon"), None);
        assert_eq!(d.plus_seconds(3600).day_start(), d);
    }

    #[test]
    fn negative_instants_round_down_to_whole_seconds() {
        assert_eq!(Timestamp::from_micros(-1).unix_seconds(), -1);
    }
}
