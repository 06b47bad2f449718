//! Calendar dates (ISO `YYYY-MM-DD`) without a time zone: enough for due dates.

use std::fmt;

/// A proleptic Gregorian date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i64,
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The year, month and day of text shaped `YYYY-MM-DD` (digits and dashes only; the
/// values are not checked).
fn fields(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    Some((y, m, d))
}

impl Date {
    /// Parses `YYYY-MM-DD` (years 1900–2999); `None` for anything else, including
    /// impossible days such as `2026-02-30`.
    pub fn parse(s: &str) -> Option<Date> {
        let (y, m, d) = fields(s)?;
        if !(1900..=2999).contains(&y) || !(1..=12).contains(&m) {
            return None;
        }
        if d < 1 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date {
            days: days_from_civil(y, m, d),
        })
    }

    /// Why a date written `YYYY-MM-DD` is impossible (`February 2026 has 28 days`,
    /// `there is no month 13`); `None` when it is a date or not of that shape.
    pub fn impossible(s: &str) -> Option<String> {
        let (y, m, d) = fields(s)?;
        if !(1900..=2999).contains(&y) {
            return Some(format!("years run from 1900 to 2999, not {y}"));
        }
        let Some(month) = usize::try_from(m - 1).ok().and_then(|i| MONTHS.get(i)) else {
            return Some(format!("there is no month {m}: months run from 01 to 12"));
        };
        let dim = days_in_month(y, m);
        if d < 1 || d > dim {
            return Some(format!("{month} {y} has {dim} days"));
        }
        None
    }

    /// Today (UTC), from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date {
            days: i64::try_from(secs / 86_400).unwrap_or(0),
        }
    }

    /// The date `n` days later.
    pub fn add_days(self, n: i64) -> Date {
        Date {
            days: self.days + n,
        }
    }

    /// Days from `self` to `other`.
    pub fn days_until(self, other: Date) -> i64 {
        other.days - self.days
    }

    /// The first day of the month `months` months after this date's month (0: its own).
    pub fn month_start(self, months: i64) -> Date {
        let (y, m, _) = civil_from_days(self.days);
        let index = y * 12 + (m - 1) + months;
        Date {
            days: days_from_civil(index.div_euclid(12), index.rem_euclid(12) + 1, 1),
        }
    }

    /// The last day of the month `months` months after this date's month (0: its own).
    pub fn month_end(self, months: i64) -> Date {
        self.month_start(months + 1).add_days(-1)
    }

    /// The month as `YYYY-MM`.
    pub fn month_label(self) -> String {
        let (y, m, _) = civil_from_days(self.days);
        format!("{y:04}-{m:02}")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.days);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date" })
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn round_trips_and_adds() {
        let d = Date::parse("2026-11-15").expect("valid");
        assert_eq!(d.to_string(), "2026-11-15");
        assert_eq!(d.add_days(30).to_string(), "2026-12-15");
        assert_eq!(d.add_days(90).to_string(), "2027-02-13");
        assert_eq!(
            Date::parse("2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
        assert!(Date::parse("2026-02-29").is_none());
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("26-1-1").is_none());
        assert!(Date::parse("2026-1-01").is_none());
    }

    #[test]
    fn months_roll_over_years_and_leap_days() {
        let d = Date::parse("2026-11-15").expect("valid");
        assert_eq!(d.month_start(0).to_string(), "2026-11-01");
        assert_eq!(d.month_end(0).to_string(), "2026-11-30");
        assert_eq!(d.month_end(1).to_string(), "2026-12-31");
        assert_eq!(d.month_end(3).to_string(), "2027-02-28");
        assert_eq!(d.month_end(15).to_string(), "2028-02-29");
        assert_eq!(d.month_start(2).month_label(), "2027-01");
        assert_eq!(d.month_start(-11).month_label(), "2025-12");
    }
}
