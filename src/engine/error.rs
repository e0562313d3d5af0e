//! The error of every call the engine makes through its adapters: an AWS failure in
//! words a user can act on (the operation, the resource, AWS's own code and message, and
//! a hint when there is an obvious next step). The AWS side builds it from SDK errors.

use std::fmt;

#[derive(Debug, Clone)]
pub struct AwsError {
    pub operation: String,
    pub resource: String,
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        if !self.resource.is_empty() {
            write!(f, " on {}", self.resource)?;
        }
        write!(f, " failed: {}", self.message)?;
        if !self.code.is_empty() {
            write!(f, " ({})", self.code)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl AwsError {
    /// A request cbctl could not even build, or an answer it cannot use.
    pub fn invalid(operation: &str, resource: &str, message: impl fmt::Display) -> AwsError {
        AwsError { operation: operation.into(), resource: resource.into(), code: "InvalidRequest".into(), message: message.to_string(), hint: None }
    }

    pub fn code_is(&self, codes: &[&str]) -> bool {
        codes.contains(&self.code.as_str())
    }

    /// AWS refused the call for want of permission (IAM and S3 say `AccessDenied`, the
    /// JSON services `AccessDeniedException`).
    pub fn is_access_denied(&self) -> bool {
        self.code_is(&["AccessDenied", "AccessDeniedException"])
    }
}
