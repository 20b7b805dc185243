//! One parser per string option: `FromStr` from its Python names, with the argument named.

/// `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`: the names an option accepts, for its message.
pub(crate) fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// `FromStr` for an option: its Python names, parsed in this one place for every face, and an
/// error naming the argument (`ma must be 'sma' or 'ema', got "wma"`).
macro_rules! option_names {
    ($ty:ty, $arg:literal, { $($name:literal => $variant:expr),+ $(,)? }) => {
        impl std::str::FromStr for $ty {
            type Err = $crate::error::KernelError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($variant),)+
                    other => Err($crate::error::KernelError::invalid(
                        $arg,
                        format!(
                            "{} must be {}, got {other:?}",
                            $arg,
                            $crate::options::one_of(&[$($name),+])
                        ),
                    )),
                }
            }
        }
    };
}
