//! Durations as users write them: `60d`, `36h`, `90m`, `3600s`, or ISO-8601 `P60D` / `PT36H` /
//! `P1DT12H`. Parsed once at the edge into a whole number of seconds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// The accepted formats, quoted in every parse error so the user sees what to write.
pub const ACCEPTED_FORMATS: &str = "a whole number with a unit (`60d`, `36h`, `90m`, `3600s`) or ISO-8601 (`P60D`, `PT36H`, `P1DT12H`)";

/// Largest accepted duration: 100 years, far beyond any sensible key lifetime, and small enough
/// that adding two of them to a timestamp never overflows.
pub const MAX_SECONDS: u64 = 100 * 365 * 86_400;

/// A non-negative span of time with one-second resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    seconds: u64,
}

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{value}` is not a duration: {reason}; expected {ACCEPTED_FORMATS}")]
pub struct DurationError {
    /// The text that was given.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Duration {
    /// A duration of `seconds` seconds.
    pub const fn from_secs(seconds: u64) -> Self {
        Self { seconds }
    }
    /// A duration of `minutes` minutes.
    pub const fn from_mins(minutes: u64) -> Self {
        Self::from_secs(minutes * 60)
    }
    /// A duration of `hours` hours.
    pub const fn from_hours(hours: u64) -> Self {
        Self::from_secs(hours * 3600)
    }
    /// A duration of `days` days.
    pub const fn from_days(days: u64) -> Self {
        Self::from_secs(days * 86_400)
    }
    /// The whole number of seconds.
    pub const fn as_secs(self) -> u64 {
        self.seconds
    }
    /// The same span as a chrono duration, for arithmetic on timestamps.
    pub fn to_chrono(self) -> chrono::TimeDelta {
        // MAX_SECONDS keeps this far inside chrono's range.
        chrono::TimeDelta::seconds(i64::try_from(self.seconds).unwrap_or(i64::MAX / 1000))
    }
    /// Whole days when the duration is a multiple of a day.
    pub const fn whole_days(self) -> Option<u64> {
        if self.seconds.is_multiple_of(86_400) {
            Some(self.seconds / 86_400)
        } else {
            None
        }
    }
    /// Whole hours when the duration is a multiple of an hour.
    pub const fn whole_hours(self) -> Option<u64> {
        if self.seconds.is_multiple_of(3600) {
            Some(self.seconds / 3600)
        } else {
            None
        }
    }
    /// Sum of two durations, saturating at [`MAX_SECONDS`].
    pub fn saturating_add(self, other: Duration) -> Duration {
        Duration::from_secs(self.seconds.saturating_add(other.seconds).min(MAX_SECONDS))
    }

    /// Parses the user-facing text form; see [`ACCEPTED_FORMATS`].
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let err = |reason: &str| DurationError {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(err("it is empty"));
        }
        let seconds = if let Some(iso) = trimmed
            .strip_prefix('P')
            .or_else(|| trimmed.strip_prefix('p'))
        {
            parse_iso(iso).map_err(|r| err(&r))?
        } else {
            parse_unit(trimmed).map_err(|r| err(&r))?
        };
        if seconds > MAX_SECONDS {
            return Err(err("it is longer than 100 years"));
        }
        Ok(Duration { seconds })
    }
}

fn unit_seconds(unit: char) -> Option<u64> {
    match unit {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        _ => None,
    }
}

fn parse_number(digits: &str) -> Result<u64, String> {
    if digits.is_empty() {
        return Err("the number is missing".into());
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{digits}` is not a whole number"));
    }
    digits
        .parse::<u64>()
        .map_err(|_| "the number is too large".to_string())
}

fn parse_unit(text: &str) -> Result<u64, String> {
    let unit = text.chars().last().ok_or("it is empty")?;
    let Some(factor) = unit_seconds(unit.to_ascii_lowercase()) else {
        return Err(if unit.is_ascii_digit() {
            "the unit is missing".to_string()
        } else {
            format!("unknown unit `{unit}` (use s, m, h or d)")
        });
    };
    let number = parse_number(&text[..text.len() - unit.len_utf8()])?;
    number
        .checked_mul(factor)
        .ok_or_else(|| "the number is too large".to_string())
}

fn parse_iso(body: &str) -> Result<u64, String> {
    if body.is_empty() {
        return Err("ISO-8601 duration has no components".into());
    }
    let (date, time) = match body.split_once(['T', 't']) {
        Some((d, t)) => {
            if t.is_empty() {
                return Err("ISO-8601 `T` is not followed by a time component".into());
            }
            (d, Some(t))
        }
        None => (body, None),
    };
    let mut total: u64 = 0;
    let mut add = |part: &str, allowed: &[(char, u64)]| -> Result<(), String> {
        let mut digits = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let upper = c.to_ascii_uppercase();
            let Some((_, factor)) = allowed.iter().find(|(u, _)| *u == upper) else {
                return Err(format!(
                    "ISO-8601 component `{c}` is not supported here (use D before T, and H, M, S after it)"
                ));
            };
            let n = parse_number(&digits)?;
            digits.clear();
            total = n
                .checked_mul(*factor)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| "the number is too large".to_string())?;
        }
        if !digits.is_empty() {
            return Err(format!("ISO-8601 number `{digits}` has no unit"));
        }
        Ok(())
    };
    add(date, &[('D', 86_400), ('W', 7 * 86_400)])?;
    if let Some(t) = time {
        add(t, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    Ok(total)
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl fmt::Display for Duration {
    /// The shortest exact form in the unit syntax: `60d`, `36h`, `90m`, `3601s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        if s != 0 && s.is_multiple_of(86_400) {
            write!(f, "{}d", s / 86_400)
        } else if s != 0 && s.is_multiple_of(3600) {
            write!(f, "{}h", s / 3600)
        } else if s != 0 && s.is_multiple_of(60) {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_forms() {
        assert_eq!(Duration::parse("60d").unwrap(), Duration::from_days(60));
        assert_eq!(Duration::parse("36h").unwrap(), Duration::from_hours(36));
        assert_eq!(Duration::parse("90m").unwrap(), Duration::from_mins(90));
        assert_eq!(Duration::parse("3600s").unwrap(), Duration::from_secs(3600));
        assert_eq!(Duration::parse(" 7D ").unwrap(), Duration::from_days(7));
    }

    #[test]
    fn iso_forms() {
        assert_eq!(Duration::parse("P60D").unwrap(), Duration::from_days(60));
        assert_eq!(Duration::parse("PT36H").unwrap(), Duration::from_hours(36));
        assert_eq!(
            Duration::parse("P1DT12H30M5S").unwrap(),
            Duration::from_secs(86_400 + 12 * 3600 + 30 * 60 + 5)
        );
        assert_eq!(Duration::parse("P2W").unwrap(), Duration::from_days(14));
    }

    #[test]
    fn errors_name_the_value_and_the_format() {
        for bad in [
            "",
            "60",
            "d",
            "60x",
            "6.5h",
            "-1d",
            "P",
            "PT",
            "P1Y",
            "P1DT",
            "P1H",
            "60 d",
            "99999999999999999999s",
        ] {
            let e = Duration::parse(bad).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            assert!(msg.contains("3600s"), "{msg}");
        }
        assert!(
            Duration::parse("60x")
                .unwrap_err()
                .reason
                .contains("unknown unit `x`")
        );
        assert!(
            Duration::parse("60")
                .unwrap_err()
                .reason
                .contains("unit is missing")
        );
        assert!(
            Duration::parse("40000d")
                .unwrap_err()
                .reason
                .contains("100 years")
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["60d", "36h", "90m", "3601s", "0s"] {
            assert_eq!(Duration::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Duration::from_hours(48).to_string(), "2d");
    }

    #[test]
    fn whole_units() {
        assert_eq!(Duration::from_days(3).whole_days(), Some(3));
        assert_eq!(Duration::from_hours(5).whole_days(), None);
        assert_eq!(Duration::from_hours(5).whole_hours(), Some(5));
        assert_eq!(Duration::from_mins(5).whole_hours(), None);
    }
}
