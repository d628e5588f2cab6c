//! [`ReplyRuleStore`](crate::store::replies::ReplyRuleStore) on SQLite: the shared queries of
//! `store/sql/replies.rs`. Times are UTC milliseconds; matcher and action JSON text.

use crate::store::sql::replies::reply_rule_store;

reply_rule_store! {
    /// [`ReplyRuleStore`](crate::store::replies::ReplyRuleStore) on SQLite.
    pub struct SqliteReplyRuleStore(sqlx::Sqlite);
}
