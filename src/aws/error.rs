//! Turning SDK errors into the engine's `AwsError`: the service's error code and message
//! when there is one, else the transport failure's own chain of causes, never an SDK
//! debug dump; and a hint for the failures a user can fix.

use std::error::Error as StdError;
use std::fmt;

use crate::engine::AwsError;

impl AwsError {
    /// Builds from any SDK error without dumping its debug form: the service's error code
    /// and message when there is one, else the transport failure's own chain of causes.
    pub fn from_sdk<E, R>(operation: &str, resource: &str, err: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> AwsError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + StdError + 'static,
        R: fmt::Debug,
    {
        use aws_smithy_runtime_api::client::result::SdkError;
        let (code, message) = match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                (e.code().unwrap_or("").to_string(), e.message().map(str::to_string).unwrap_or_else(|| e.to_string()))
            }
            other => {
                let mut msg = other.to_string();
                let mut src = other.source();
                while let Some(s) = src {
                    msg = format!("{msg}: {s}");
                    src = s.source();
                }
                (String::new(), msg)
            }
        };
        let hint = hint_for(&code, &message);
        AwsError { operation: operation.into(), resource: resource.into(), code, message, hint }
    }
}

fn hint_for(code: &str, message: &str) -> Option<String> {
    if code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" {
        return Some("the identity running cbctl lacks this permission; see the README's \"Permissions\" section".into());
    }
    if message.contains("sts:AssumeRole") {
        return Some("a new IAM role can take a few seconds to be usable; run apply again".into());
    }
    if code.contains("Throttl") || code == "TooManyRequestsException" {
        return Some("AWS is throttling requests; wait a minute and run again".into());
    }
    // The SDK's own failure to find credentials: no service answered, so no code.
    if code.is_empty() && message.contains("credential") {
        return Some(
            "no usable AWS credentials were found: set AWS_PROFILE (after `aws sso login` for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
        );
    }
    if code == "ExpiredToken" || code == "ExpiredTokenException" || code == "InvalidClientTokenId" || code == "UnrecognizedClientException" {
        return Some("the AWS credentials are missing, expired or invalid; refresh them (aws sso login, env vars, profile)".into());
    }
    None
}
