//! Conversions between protobuf well-known types and `std` types.

use std::time::{Duration, SystemTime};

/// Converts a [`Duration`] into a protobuf `Duration`, saturating at the protobuf maximum.
pub fn duration_to_proto(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    }
}

/// Converts a protobuf `Duration` into a [`Duration`]; negative values become `None`.
pub fn duration_from_proto(d: &prost_types::Duration) -> Option<Duration> {
    let secs = u64::try_from(d.seconds).ok()?;
    let nanos = u32::try_from(d.nanos).ok()?;
    Some(Duration::new(secs, 0) + Duration::from_nanos(u64::from(nanos)))
}

/// Converts a protobuf `Timestamp` into a [`SystemTime`]; out-of-range values become `None`.
pub fn timestamp_from_proto(t: &prost_types::Timestamp) -> Option<SystemTime> {
    SystemTime::try_from(*t).ok()
}

/// Converts a [`SystemTime`] into a protobuf `Timestamp`.
pub fn timestamp_to_proto(t: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        let d = Duration::from_millis(1500);
        let p = duration_to_proto(d);
        assert_eq!((p.seconds, p.nanos), (1, 500_000_000));
        assert_eq!(duration_from_proto(&p), Some(d));
        assert_eq!(
            duration_from_proto(&prost_types::Duration {
                seconds: -1,
                nanos: 0
            }),
            None
        );
    }

    #[test]
    fn timestamps_round_trip() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(timestamp_from_proto(&timestamp_to_proto(t)), Some(t));
    }
}
