//! Instants as JavaScript's `Date.prototype.toISOString` writes them.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now (negative before 1970, which a clock set right never
/// is).
pub fn now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// `new Date(ms).toISOString()` for years 0 to 9999: `YYYY-MM-DDTHH:mm:ss.sssZ`, in UTC.
pub fn iso_8601(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_date(days);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// The proleptic Gregorian (year, month, day) of the day `days` after 1970-01-01.
///
/// Counts in 400-year eras (146097 days each) that start on March 1st, so that the leap day
/// is the last day of an era's year and the month lengths from March on repeat regularly.
fn civil_date(days: i64) -> (i64, i64, i64) {
    // 1970-01-01 is day 719468 after 0000-03-01.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    // Years of 365 days, less one leap day every 4 years, plus one back every 100, less one
    // every 400 (the era's last day).
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28/29 days; 153 days
    // per five months.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_like_javascripts_to_iso_string() {
        assert_eq!(iso_8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_8601(1_458_608_395_961), "2016-03-22T00:59:55.961Z");
        assert_eq!(iso_8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_8601(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(iso_8601(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(iso_8601(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso_8601(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
    }

    fn month_length(year: i64, month: i64) -> i64 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    #[test]
    fn every_day_follows_the_one_before() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        // From 0220-01-01 to 4160-12-31 and beyond: ten eras.
        let mut previous = civil_date(-800_000);
        for days in -799_999..800_000 {
            let (year, month, day) = civil_date(days);
            let (py, pm, pd) = previous;
            let expected = if pd < month_length(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((year, month, day), expected, "after {previous:?}");
            previous = (year, month, day);
        }
    }
}
