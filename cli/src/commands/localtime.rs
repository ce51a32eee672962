//! Local wall-clock time for epoch milliseconds, read from the system's time zone (`$TZ` or
//! `/etc/localtime`: TZif files and POSIX TZ rules), with UTC as the fallback.

use std::path::Path;

/// The directory of the system's TZif files.
const ZONEINFO: &str = "/usr/share/zoneinfo";

/// A time zone: UTC offsets (seconds east) over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zone {
    /// `(utc seconds, offset from then on)`, ascending.
    transitions: Vec<(i64, i32)>,
    /// The offset before the first transition.
    initial: i32,
    /// The rule after the last transition (a TZif footer or a `TZ` string).
    rule: Option<PosixTz>,
}

impl Zone {
    /// UTC.
    pub(crate) const UTC: Zone = Zone { transitions: Vec::new(), initial: 0, rule: None };

    /// The zone of this process: `$TZ`, else `/etc/localtime`, else UTC.
    pub(crate) fn system() -> Zone {
        let tz = std::env::var("TZ").ok();
        Zone::from_tz(tz.as_deref(), |p| std::fs::read(p).ok())
    }

    /// The zone a `TZ` value names (`None`: unset), reading TZif files with `read`.
    pub(crate) fn from_tz(tz: Option<&str>, read: impl Fn(&Path) -> Option<Vec<u8>>) -> Zone {
        let from_file = |p: &Path| read(p).and_then(|b| Zone::from_tzif(&b));
        let found = match tz.map(|t| t.strip_prefix(':').unwrap_or(t).trim()) {
            None => from_file(Path::new("/etc/localtime")),
            Some("") => None,
            Some(t) if t.starts_with('/') => from_file(Path::new(t)),
            Some(t) => {
                let named =
                    if t.split('/').any(|c| c == "..") { None } else { from_file(&Path::new(ZONEINFO).join(t)) };
                named.or_else(|| {
                    PosixTz::parse(t).map(|r| Zone { transitions: Vec::new(), initial: r.std, rule: Some(r) })
                })
            }
        };
        found.unwrap_or(Zone::UTC)
    }

    /// Parses a TZif file (RFC 8536, versions 1 to 4).
    pub(crate) fn from_tzif(b: &[u8]) -> Option<Zone> {
        let header = |at: usize| -> Option<[usize; 6]> {
            if b.get(at..at + 4)? != b"TZif" {
                return None;
            }
            let mut counts = [0usize; 6];
            for (i, c) in counts.iter_mut().enumerate() {
                *c = be_u32(b, at + 20 + 4 * i)? as usize;
            }
            Some(counts)
        };
        let v1 = header(0)?;
        let v2 = *b.get(4)? >= b'2';
        let (start, time_size, counts) = if v2 {
            let [isut, isstd, leap, timecnt, typecnt, charcnt] = v1;
            let second = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
            (second + 44, 8, header(second)?)
        } else {
            (44, 4, v1)
        };
        let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts;
        let index_at = start + timecnt * time_size;
        let types_at = index_at + timecnt;
        let offsets: Vec<i32> =
            (0..typecnt).map(|i| be_u32(b, types_at + 6 * i).map(|v| v as i32)).collect::<Option<_>>()?;
        let mut transitions = Vec::with_capacity(timecnt);
        for i in 0..timecnt {
            let at = start + i * time_size;
            let t = if time_size == 8 { be_u64(b, at)? as i64 } else { i64::from(be_u32(b, at)? as i32) };
            let offset = *offsets.get(usize::from(*b.get(index_at + i)?))?;
            transitions.push((t, offset));
        }
        let footer_at = types_at + typecnt * 6 + charcnt + leap * (time_size + 4) + isstd + isut;
        let rule = if v2 {
            b.get(footer_at + 1..)
                .and_then(|rest| rest.split(|&c| c == b'\n').next())
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(PosixTz::parse)
        } else {
            None
        };
        Some(Zone { transitions, initial: *offsets.first()?, rule })
    }

    /// The offset from UTC, in seconds, at `t` (epoch seconds).
    pub(crate) fn offset_at(&self, t: i64) -> i32 {
        let after = self.transitions.partition_point(|(at, _)| *at <= t);
        match (after, &self.rule) {
            (n, Some(rule)) if n == self.transitions.len() => rule.offset_at(t),
            (0, _) => self.initial,
            (n, _) => self.transitions[n - 1].1,
        }
    }

    /// `YYYY-MM-DD HH:MM:SS` in this zone for epoch milliseconds `ms`.
    pub(crate) fn format_ms(&self, ms: u64) -> String {
        let t = i64::try_from(ms / 1000).unwrap_or(i64::MAX / 2);
        let local = t + i64::from(self.offset_at(t));
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let s = local.rem_euclid(86_400);
        format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    }
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// A POSIX `TZ` rule such as `CET-1CEST,M3.5.0,M10.5.0/3`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PosixTz {
    /// Standard time's offset, seconds east of UTC.
    std: i32,
    /// Daylight saving time, if any.
    dst: Option<Dst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Dst {
    offset: i32,
    start: (DateRule, i64),
    end: (DateRule, i64),
}

/// The day of a year a switch happens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateRule {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian1(i64),
    /// `n`: day 0..=365, February 29 counted.
    Julian0(i64),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    Month(u32, i64, i64),
}

impl PosixTz {
    fn parse(s: &str) -> Option<PosixTz> {
        let mut p = Cursor(s.as_bytes());
        p.name()?;
        let std = -p.offset()?;
        if p.0.is_empty() {
            return Some(PosixTz { std, dst: None });
        }
        p.name()?;
        let offset = if matches!(p.0.first(), Some(c) if c.is_ascii_digit() || *c == b'+' || *c == b'-') {
            -p.offset()?
        } else {
            std + 3600
        };
        let (start, end) = if p.0.is_empty() {
            ((DateRule::Month(3, 2, 0), 7200), (DateRule::Month(11, 1, 0), 7200))
        } else {
            p.expect(b',')?;
            let start = p.switch()?;
            p.expect(b',')?;
            (start, p.switch()?)
        };
        p.0.is_empty().then_some(PosixTz { std, dst: Some(Dst { offset, start, end }) })
    }

    fn offset_at(&self, t: i64) -> i32 {
        let Some(dst) = &self.dst else { return self.std };
        let (year, _, _) = civil_from_days((t + i64::from(self.std)).div_euclid(86_400));
        let switch = |(rule, time): (DateRule, i64), offset: i32| rule.day(year) * 86_400 + time - i64::from(offset);
        let start = switch(dst.start, self.std);
        let end = switch(dst.end, dst.offset);
        let in_dst = if start < end { start <= t && t < end } else { !(end <= t && t < start) };
        if in_dst { dst.offset } else { self.std }
    }
}

impl DateRule {
    /// Days since the epoch of this rule's day in `year`.
    fn day(self, year: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        match self {
            DateRule::Julian1(n) => jan1 + n - 1 + i64::from(is_leap(year) && n >= 60),
            DateRule::Julian0(n) => jan1 + n,
            DateRule::Month(m, w, d) => {
                let first = days_from_civil(year, m, 1);
                let weekday = (first + 4).rem_euclid(7); // 1970-01-01 was a Thursday.
                let mut day = first + (d - weekday).rem_euclid(7) + (w - 1) * 7;
                let next_month =
                    if m == 12 { days_from_civil(year + 1, 1, 1) } else { days_from_civil(year, m + 1, 1) };
                while day >= next_month {
                    day -= 7;
                }
                day
            }
        }
    }
}

/// A parser over the rest of a `TZ` string.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn expect(&mut self, c: u8) -> Option<()> {
        let (&first, rest) = self.0.split_first()?;
        (first == c).then(|| self.0 = rest)
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &[u8] {
        let n = self.0.iter().take_while(|&&c| f(c)).count();
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        taken
    }

    /// A zone abbreviation: `<...>` or three or more letters.
    fn name(&mut self) -> Option<()> {
        if self.expect(b'<').is_some() {
            self.take_while(|c| c != b'>');
            return self.expect(b'>');
        }
        (self.take_while(|c| c.is_ascii_alphabetic()).len() >= 3).then_some(())
    }

    fn number(&mut self) -> Option<i64> {
        std::str::from_utf8(self.take_while(|c| c.is_ascii_digit())).ok()?.parse().ok()
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (POSIX sign: positive is west of UTC).
    fn offset(&mut self) -> Option<i32> {
        i32::try_from(self.time()?).ok()
    }

    fn time(&mut self) -> Option<i64> {
        let sign = if self.expect(b'-').is_some() {
            -1
        } else {
            let _ = self.expect(b'+');
            1
        };
        let mut secs = self.number()? * 3600;
        for unit in [60, 1] {
            if self.expect(b':').is_none() {
                break;
            }
            secs += self.number()? * unit;
        }
        Some(sign * secs)
    }

    /// `rule[/time]`.
    fn switch(&mut self) -> Option<(DateRule, i64)> {
        let rule = if self.expect(b'J').is_some() {
            DateRule::Julian1(self.number()?)
        } else if self.expect(b'M').is_some() {
            let m = self.number()?;
            self.expect(b'.')?;
            let w = self.number()?;
            self.expect(b'.')?;
            let d = self.number()?;
            DateRule::Month(u32::try_from(m).ok().filter(|m| (1..=12).contains(m))?, w.clamp(1, 5), d % 7)
        } else {
            DateRule::Julian0(self.number()?)
        };
        let time = if self.expect(b'/').is_some() { self.time()? } else { 7200 };
        Some((rule, time))
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Epoch seconds of a UTC civil time.
    fn utc(y: i64, m: u32, d: u32, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400 + h * 3600 + min * 60
    }

    fn posix(s: &str) -> Zone {
        Zone::from_tz(Some(s), |_| None)
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for z in [-800_000, -1, 0, 59, 60, 11_016, 19_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn utc_formats_epoch_milliseconds() {
        assert_eq!(Zone::UTC.format_ms(0), "1970-01-01 00:00:00");
        assert_eq!(Zone::UTC.format_ms(1_493_327_653_767), "2017-04-27 21:14:13");
        assert_eq!(posix("").format_ms(1_000), "1970-01-01 00:00:01");
    }

    #[test]
    fn european_rules_switch_on_the_last_sundays() {
        let z = posix("CET-1CEST,M3.5.0,M10.5.0/3");
        assert_eq!(z.offset_at(utc(2024, 1, 15, 12, 0)), 3600);
        assert_eq!(z.offset_at(utc(2024, 7, 1, 0, 0)), 7200);
        assert_eq!(z.offset_at(utc(2024, 3, 31, 1, 0) - 1), 3600);
        assert_eq!(z.offset_at(utc(2024, 3, 31, 1, 0)), 7200);
        assert_eq!(z.offset_at(utc(2024, 10, 27, 1, 0) - 1), 7200);
        assert_eq!(z.offset_at(utc(2024, 10, 27, 1, 0)), 3600);
        assert_eq!(z.format_ms(utc(2024, 7, 1, 0, 0) as u64 * 1000), "2024-07-01 02:00:00");
    }

    #[test]
    fn american_and_southern_rules() {
        let ny = posix("EST5EDT,M3.2.0,M11.1.0");
        assert_eq!(ny.offset_at(utc(2024, 3, 10, 7, 0) - 1), -5 * 3600);
        assert_eq!(ny.offset_at(utc(2024, 3, 10, 7, 0)), -4 * 3600);
        assert_eq!(ny.offset_at(utc(2024, 11, 3, 6, 0)), -5 * 3600);
        let default_rules = posix("EST5EDT");
        assert_eq!(default_rules.offset_at(utc(2024, 7, 1, 0, 0)), -4 * 3600);
        let sydney = posix("AEST-10AEDT,M10.1.0,M4.1.0/3");
        assert_eq!(sydney.offset_at(utc(2024, 1, 10, 0, 0)), 11 * 3600);
        assert_eq!(sydney.offset_at(utc(2024, 7, 10, 0, 0)), 10 * 3600);
    }

    #[test]
    fn fixed_offsets_and_julian_days() {
        assert_eq!(posix("<+0330>-3:30").offset_at(0), 12_600);
        assert_eq!(posix("UTC0").offset_at(0), 0);
        assert_eq!(DateRule::Julian1(60).day(2024), days_from_civil(2024, 3, 1));
        assert_eq!(DateRule::Julian0(59).day(2024), days_from_civil(2024, 2, 29));
        assert_eq!(posix("not a zone"), Zone::UTC);
    }

    /// A TZif file with one transition at t=1000 from +0 to +3600, and `footer`.
    fn tzif(version: u8, footer: &str) -> Vec<u8> {
        let block = |time_size: usize| {
            let mut b = b"TZif".to_vec();
            b.push(version);
            b.extend([0; 15]);
            for c in [0u32, 0, 0, 1, 2, 4] {
                b.extend(c.to_be_bytes());
            }
            if time_size == 8 {
                b.extend(1000i64.to_be_bytes())
            } else {
                b.extend(1000i32.to_be_bytes())
            }
            b.push(1);
            b.extend(0i32.to_be_bytes());
            b.extend([0, 0]);
            b.extend(3600i32.to_be_bytes());
            b.extend([1, 0]);
            b.extend(b"AB\0\0");
            b
        };
        let mut out = block(4);
        if version >= b'2' {
            out.extend(block(8));
            out.extend(format!("\n{footer}\n").bytes());
        }
        out
    }

    #[test]
    fn tzif_files_give_transitions_and_a_footer_rule() {
        let v1 = Zone::from_tzif(&tzif(0, "")).unwrap();
        assert_eq!((v1.offset_at(999), v1.offset_at(1000), v1.offset_at(1 << 40)), (0, 3600, 3600));
        let v2 = Zone::from_tzif(&tzif(b'2', "XXX-2")).unwrap();
        assert_eq!((v2.offset_at(500), v2.offset_at(2000)), (0, 7200));
        assert_eq!(Zone::from_tzif(b"TZif2 short"), None);
        let z = Zone::from_tz(Some(":/some/file"), |p| (p == Path::new("/some/file")).then(|| tzif(b'3', "")));
        assert_eq!(z.offset_at(2000), 3600);
    }

    #[test]
    fn the_system_zone_files_parse_when_present() {
        let read = |p: &Path| std::fs::read(p).ok();
        if Path::new(ZONEINFO).join("Europe/Paris").exists() {
            let paris = Zone::from_tz(Some("Europe/Paris"), read);
            assert_eq!(paris.offset_at(utc(2024, 7, 1, 0, 0)), 7200);
            assert_eq!(paris.offset_at(utc(2040, 1, 1, 0, 0)), 3600);
            assert_eq!(paris.offset_at(utc(2040, 7, 1, 0, 0)), 7200);
        }
        assert_eq!(Zone::from_tz(Some("../../etc/passwd"), read).offset_at(0), 0);
    }
}
