//! SMS notices (seed 002 §5.2) go through an [`SmsProvider`]: the seed names no provider,
//! so the hub ships [`LogOnlySms`], which sends nothing and logs the template and how many
//! mobiles it would have reached (never a mobile in full: [`mask_mobile`]). A real provider
//! (Aliyun, Tencent Cloud SMS) implements the trait and is given in `app/wiring.rs`.

use async_trait::async_trait;

use super::model::mask_mobile;

#[async_trait]
pub trait SmsProvider: Send + Sync + 'static {
    /// Sends template `template_id` with `params` to each of `mobiles`; answers the mobiles
    /// the provider refused (the rest were accepted). An error: nothing was sent.
    async fn send(
        &self,
        template_id: &str,
        params: &[String],
        mobiles: &[String],
    ) -> anyhow::Result<Vec<String>>;
}

/// Sends nothing; logs what it was asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOnlySms;

#[async_trait]
impl SmsProvider for LogOnlySms {
    async fn send(
        &self,
        template_id: &str,
        params: &[String],
        mobiles: &[String],
    ) -> anyhow::Result<Vec<String>> {
        tracing::info!(
            template_id,
            params = params.len(),
            recipients = mobiles.len(),
            "SMS not sent: no SMS provider is configured (log only)"
        );
        let masked: Vec<String> = mobiles.iter().map(|m| mask_mobile(m)).collect();
        tracing::debug!(template_id, mobiles = ?masked, "SMS recipients (masked)");
        Ok(Vec::new())
    }
}
