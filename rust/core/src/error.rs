use std::fmt;

/// Every way a kernel call can be refused. Each variant names the argument at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelError {
    /// An argument outside its allowed range, e.g. `window must be >= 1, got 0`.
    InvalidArgument { name: &'static str, message: String },
    /// An array whose length differs from `x`.
    LengthMismatch {
        name: &'static str,
        expected: usize,
        got: usize,
    },
    /// Data of a type the kernels cannot compute on.
    UnsupportedDtype { name: &'static str, message: String },
}

impl KernelError {
    pub fn invalid(name: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            name,
            message: message.into(),
        }
    }

    pub fn dtype(name: &'static str, message: impl Into<String>) -> Self {
        Self::UnsupportedDtype {
            name,
            message: message.into(),
        }
    }

    /// Refuses the first of `lengths` (argument name, length) that is not `n`.
    pub fn same_lengths(n: usize, lengths: &[(&'static str, usize)]) -> Result<(), Self> {
        match lengths.iter().find(|&&(_, len)| len != n) {
            Some(&(name, got)) => Err(Self::LengthMismatch {
                name,
                expected: n,
                got,
            }),
            None => Ok(()),
        }
    }

    /// The name of the argument at fault.
    pub fn argument(&self) -> &'static str {
        match self {
            Self::InvalidArgument { name, .. }
            | Self::LengthMismatch { name, .. }
            | Self::UnsupportedDtype { name, .. } => name,
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidArgument { message, .. } | Self::UnsupportedDtype { message, .. } => {
                f.write_str(message)
            }
            Self::LengthMismatch {
                name,
                expected,
                got,
            } => write!(
                f,
                "{name} must have the same length as x ({expected}), got length {got}"
            ),
        }
    }
}

impl std::error::Error for KernelError {}

/// Checks `len(other) == len(x)`.
pub(crate) fn same_length(
    name: &'static str,
    expected: usize,
    got: usize,
) -> Result<(), KernelError> {
    if expected == got {
        Ok(())
    } else {
        Err(KernelError::LengthMismatch {
            name,
            expected,
            got,
        })
    }
}
