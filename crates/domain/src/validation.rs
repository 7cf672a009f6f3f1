//! Validation errors that name their field, and the input rules Chatwoot's models enforce.

/// One invalid field: `field` is the attribute name a client sent, `message` the Rails-style
/// reason ("has already been taken").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// All invalid fields of one request. Rendered as Chatwoot's
/// `{"message": "Email is invalid, Name can't be blank", "attributes": ["email", "name"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }
    /// One error for one field.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(())` when nothing was added, so callers can `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
    /// Rails' `full_messages.join(', ')`: "Email has already been taken".
    pub fn full_message(&self) -> String {
        self.0
            .iter()
            .map(|e| format!("{} {}", humanize(&e.field), e.message))
            .collect::<Vec<_>>()
            .join(", ")
    }
    pub fn fields(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.0 {
            if !out.contains(&e.field) {
                out.push(e.field.clone());
            }
        }
        out
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full_message())
    }
}

impl std::error::Error for ValidationErrors {}

/// Rails' `humanize`: `phone_number` becomes `Phone number`.
pub fn humanize(field: &str) -> String {
    let spaced = field.trim_end_matches("_id").replace(['_', '.'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// Devise's email rule: something, an `@`, something, no whitespace; at most 255 characters.
pub fn is_valid_email(email: &str) -> bool {
    if email.len() > 255 || email.chars().any(char::is_whitespace) {
        return false;
    }
    match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    }
}

/// E.164 as Chatwoot checks contact phone numbers: `+`, a non-zero digit, up to 14 more digits.
pub fn is_valid_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    let bytes = digits.as_bytes();
    (2..=15).contains(&bytes.len()) && bytes[0] != b'0' && bytes.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_message_humanizes_field_names_like_rails() {
        let mut e = ValidationErrors::new();
        e.add("phone_number", "is invalid");
        e.add("email", "has already been taken");
        assert_eq!(
            e.full_message(),
            "Phone number is invalid, Email has already been taken"
        );
        assert_eq!(e.fields(), vec!["phone_number", "email"]);
    }

    #[test]
    fn email_rule_accepts_plain_addresses_and_refuses_blanks_and_spaces() {
        assert!(is_valid_email("a@b.c"));
        assert!(is_valid_email("first.last+tag@example.co.uk"));
        assert!(!is_valid_email("no-at-sign"));
        assert!(!is_valid_email("@example.com"));
        assert!(!is_valid_email("a@"));
        assert!(!is_valid_email("a b@example.com"));
        assert!(!is_valid_email("a@b@c"));
    }

    #[test]
    fn e164_rule_matches_chatwoot() {
        assert!(is_valid_e164("+14155552671"));
        assert!(is_valid_e164("+44"));
        assert!(!is_valid_e164("14155552671"));
        assert!(!is_valid_e164("+04155552671"));
        assert!(!is_valid_e164("+1415555267123456"));
        assert!(!is_valid_e164("+1 415"));
    }
}
