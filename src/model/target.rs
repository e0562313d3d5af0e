//! Where a stack lives: the account, region and partition every ARN is made from.

#[derive(Debug, Clone)]
pub struct Target {
    pub account: String,
    pub region: String,
    pub partition: String,
}

impl Target {
    /// `arn:<partition>:<service>:<region>:<account>:<rest>`.
    pub fn arn(&self, service: &str, rest: &str) -> String {
        format!("arn:{}:{service}:{}:{}:{rest}", self.partition, self.region, self.account)
    }
}
