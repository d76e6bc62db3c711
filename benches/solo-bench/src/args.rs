//! A small command-line parser: `--key value` options and `--flag` switches.

use std::str::FromStr;

use anyhow::{Context, Result, bail};

/// The arguments left to consume.
#[derive(Debug, Default)]
pub(crate) struct Args {
    rest: Vec<String>,
}

impl Args {
    /// Wraps the arguments after the program name.
    pub(crate) fn new(args: Vec<String>) -> Self {
        Args { rest: args }
    }

    /// Removes `--name` and returns whether it was present.
    pub(crate) fn flag(&mut self, name: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|a| a != name);
        self.rest.len() != before
    }

    /// Removes `--name VALUE` (or `--name=VALUE`) and returns the value.
    pub(crate) fn value(&mut self, name: &str) -> Result<Option<String>> {
        let prefix = format!("{name}=");
        if let Some(i) = self.rest.iter().position(|a| a.starts_with(&prefix)) {
            let arg = self.rest.remove(i);
            return Ok(Some(arg[prefix.len()..].to_owned()));
        }
        let Some(i) = self.rest.iter().position(|a| a == name) else {
            return Ok(None);
        };
        if i + 1 >= self.rest.len() {
            bail!("{name} needs a value");
        }
        let value = self.rest.remove(i + 1);
        self.rest.remove(i);
        Ok(Some(value))
    }

    /// Removes `--name VALUE` and parses it, or returns `default`.
    pub(crate) fn parse_or<T: FromStr>(&mut self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.value(name)? {
            Some(v) => v
                .parse()
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("{name} {v}")),
            None => Ok(default),
        }
    }

    /// Removes `--name VALUE` and parses it, if present.
    pub(crate) fn parse_opt<T: FromStr>(&mut self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match self.value(name)? {
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("{name} {v}")),
            None => Ok(None),
        }
    }

    /// Fails when anything was not consumed.
    pub(crate) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            bail!("unexpected arguments: {}", self.rest.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Args {
        Args::new(s.split_whitespace().map(str::to_owned).collect())
    }

    #[test]
    fn options_and_flags_are_consumed() {
        let mut a = args("--n 20 --smoke --concurrency=4 --address 127.0.0.1:7233");
        assert!(a.flag("--smoke"));
        assert!(!a.flag("--write"));
        assert_eq!(a.parse_or("--n", 2000usize).unwrap(), 20);
        assert_eq!(a.parse_or("--concurrency", 1usize).unwrap(), 4);
        assert_eq!(a.parse_or("--pollers", 5usize).unwrap(), 5);
        assert_eq!(
            a.value("--address").unwrap().as_deref(),
            Some("127.0.0.1:7233")
        );
        a.finish().unwrap();
    }

    #[test]
    fn leftovers_and_missing_values_are_errors() {
        assert!(args("--n").value("--n").is_err());
        assert!(args("--n x").parse_or("--n", 1usize).is_err());
        assert!(args("--bogus").finish().is_err());
    }
}
