use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// WeChat's 64-bit message id (`MsgId`, or `MsgID` on job-finish events).
///
/// In JSON it is a string, because JavaScript numbers lose precision above 2^53; it reads
/// back from a string or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgId(pub u64);

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for MsgId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Self)
    }
}

impl Serialize for MsgId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MsgId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MsgIdVisitor;

        impl Visitor<'_> for MsgIdVisitor {
            type Value = MsgId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 64-bit message id as a string or number")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MsgId, E> {
                Ok(MsgId(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MsgId, E> {
                u64::try_from(v).map(MsgId).map_err(E::custom)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<MsgId, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(MsgIdVisitor)
    }
}
