//! `AppError`: every way a use case can refuse or fail, independent of the wire format.

use confab_domain::ValidationErrors;
use confab_store::StoreError;

/// Errors of the use cases. `confab-http` maps each variant to Chatwoot's status and body.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No credentials at all (devise's "You need to sign in or sign up before continuing.").
    #[error("authentication required")]
    Unauthenticated,
    /// A token that matches nothing.
    #[error("invalid access token")]
    InvalidToken,
    /// Authenticated but not allowed; Chatwoot answers these with 401 and the message.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A service API key lacks the scope a field of the request needs (403, naming the field).
    #[error("this API key lacks the {scope} permission needed for {field}")]
    MissingScope { field: String, scope: &'static str },
    /// A service API key on an endpoint that does not take keys (403).
    #[error("this endpoint does not accept API keys")]
    KeyNotAllowed,
    /// The record does not exist or is not visible to the caller.
    #[error("not found")]
    NotFound,
    /// Field-level validation failures (422 `{"message","attributes"}`).
    #[error("validation failed: {0}")]
    Invalid(ValidationErrors),
    /// A business rule refused the request (422 `{"error": …}`).
    #[error("{0}")]
    Unprocessable(String),
    /// A plan limit of the account is reached (402).
    #[error("{0}")]
    LimitExceeded(String),
    /// Too many requests of one kind in a window; `retry_after` seconds until the next fits.
    #[error("{message}")]
    RateLimited { message: String, retry_after: i64 },
    /// Something broke; the source is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Chatwoot's authorisation texts.
pub mod messages {
    pub const NOT_AUTHORIZED: &str = "You are not authorized to do this action";
    pub const NOT_ACCOUNT_MEMBER: &str = "You are not authorized to access this account";
    pub const ACCOUNT_SUSPENDED: &str = "Account is suspended";
    pub const BOT_NOT_ALLOWED: &str = "Access to this endpoint is not authorized for bots";
    pub const BOT_NOT_IN_ACCOUNT: &str = "Bot is not authorized to access this account";
    pub const PLATFORM_INVALID_TOKEN: &str = "Invalid access_token";
    pub const PLATFORM_NOT_PERMITTED: &str = "Non permissible resource";
    pub const INVALID_CREDENTIALS: &str = "Invalid login credentials. Please try again.";
}

impl AppError {
    /// A single invalid field.
    pub fn invalid(field: &str, message: &str) -> Self {
        Self::Invalid(ValidationErrors::single(field, message))
    }
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        Self::Invalid(e)
    }
}

pub type AppResult<T> = Result<T, AppError>;
