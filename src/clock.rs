//! The wall clock. The pure modules take the time as an argument (serials, TSIG windows,
//! DKIM schedules, journal names); this is where the commands and the server read it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch by the system clock; 0 if the clock is set before 1970, so
/// never negative.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
