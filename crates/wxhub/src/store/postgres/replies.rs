//! [`ReplyRuleStore`](crate::store::replies::ReplyRuleStore) on PostgreSQL: the shared queries
//! of `store/sql/replies.rs`. Matcher and action as JSON text.

use crate::store::sql::replies::reply_rule_store;

reply_rule_store! {
    /// [`ReplyRuleStore`](crate::store::replies::ReplyRuleStore) on PostgreSQL.
    pub struct PgReplyRuleStore(sqlx::Postgres);
}
