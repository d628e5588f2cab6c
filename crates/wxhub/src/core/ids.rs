//! The two kinds of id every capability declares, one macro each, so every id is checked the
//! same way when it is parsed and when it is deserialized (serde goes through `parse`).
//!
//! - [`ulid_id!`]: a prefixed, lower-case ULID minted by the hub (`evt_01h…`, `ep_01h…`),
//!   sortable by creation time.
//! - [`slug_id!`]: a name given from outside (an account slug, a system id, an AppID), with
//!   the rule it must follow.

/// `Display`, `String` conversions and the checked `TryFrom<String>` (through `parse`) that
/// serde uses, shared by [`ulid_id!`] and [`slug_id!`].
#[doc(hidden)]
#[macro_export]
macro_rules! string_id_impls {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::core::InvalidField;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }
    };
}

/// Declares `$name`, an id of the form `$prefix<ulid>`:
/// `ulid_id!(/// doc  EventId, "evt_", "event_id");` (the last argument names the field in
/// errors). It has `generate`, `parse` (any case in, lower case kept), `as_str`, `Display`,
/// serde as a string (validated on the way in) and an OpenAPI string schema.
#[macro_export]
macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            /// The id's prefix, e.g. `evt_`.
            pub const PREFIX: &'static str = $prefix;

            /// A new id.
            pub fn generate() -> Self {
                $name(format!("{}{}", $prefix, $crate::core::ids::next_ulid().to_string().to_lowercase()))
            }

            pub fn parse(s: &str) -> Result<Self, $crate::core::InvalidField> {
                match s.strip_prefix($prefix).map(::ulid::Ulid::from_string) {
                    Some(Ok(ulid)) => Ok($name(format!(
                        "{}{}",
                        $prefix,
                        ulid.to_string().to_lowercase()
                    ))),
                    _ => Err($crate::core::InvalidField::new(
                        $field,
                        concat!("is not an id of the form ", $prefix, "<ulid>"),
                    )),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        $crate::string_id_impls!($name);
    };
}

/// Declares `$name`, a string id that must satisfy `$valid` (a `fn(&str) -> bool`), with
/// `$rule` as the error's explanation:
/// `slug_id!(/// doc  AccountId, "id", is_slug, "must be …");`. It has `parse`, `as_str`,
/// `Display`, serde as a string (validated on the way in) and an OpenAPI string schema.
#[macro_export]
macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, $valid:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, $crate::core::InvalidField> {
                let valid: fn(&str) -> bool = $valid;
                if valid(s) {
                    Ok($name(s.to_owned()))
                } else {
                    Err($crate::core::InvalidField::new($field, $rule))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        $crate::string_id_impls!($name);
    };
}

/// The next ULID of this process: later than every one before it, also within one
/// millisecond (ULID's random part alone would order ids of the same millisecond by chance,
/// and lists page by id).
pub fn next_ulid() -> ulid::Ulid {
    static GENERATOR: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let mut generator = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    generator
        .get_or_insert_with(ulid::Generator::new)
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::new())
}

/// 1–`max` bytes, each one `allowed`.
pub fn made_of(s: &str, max: usize, allowed: impl Fn(u8) -> bool) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(allowed)
}

#[cfg(test)]
mod tests {
    crate::ulid_id!(
        /// A test id.
        TestId, "tst_", "test_id"
    );
    crate::slug_id!(
        /// A test slug.
        TestSlug,
        "slug",
        |s| super::made_of(s, 8, |b| b.is_ascii_lowercase()),
        "must be 1-8 lower-case letters"
    );

    #[test]
    fn ulid_ids_round_trip_and_refuse_anything_else() {
        let id = TestId::generate();
        assert!(id.as_str().starts_with("tst_"));
        assert_eq!(TestId::parse(id.as_str()).expect("parses"), id);
        let upper = format!("tst_{}", &id.as_str()[4..].to_uppercase());
        assert_eq!(TestId::parse(&upper).expect("any case"), id);
        for bad in [
            "",
            "tst_",
            "tst_123",
            "evt_01hzzzzzzzzzzzzzzzzzzzzzzz",
            "tst_01HZ!",
        ] {
            assert_eq!(TestId::parse(bad).expect_err(bad).field, "test_id");
        }
    }

    #[test]
    fn ids_minted_in_a_row_sort_in_that_order() {
        let ids: Vec<TestId> = (0..1000).map(|_| TestId::generate()).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "within one millisecond too"
        );
    }

    #[test]
    fn deserializing_checks_like_parsing() {
        let id = TestId::generate();
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(serde_json::from_str::<TestId>(&json).expect("reads"), id);
        assert!(serde_json::from_str::<TestId>("\"tst_nope\"").is_err());
        assert!(serde_json::from_str::<TestSlug>("\"abc\"").is_ok());
        let err = serde_json::from_str::<TestSlug>("\"ABC\"").expect_err("upper");
        assert!(err.to_string().contains("lower-case"), "{err}");
    }
}
