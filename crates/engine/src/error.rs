//! Error types of the engine: one per direction, each variant with a stable kebab-case code.

/// Why bytes could not be turned into an image. Every variant is the caller's input at fault.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
}

impl DecodeError {
    /// A stable kebab-case code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty => "empty-file",
        }
    }
}

/// Why an image could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("the image has no pixels")]
    EmptyImage,
}
