//! Severity levels SEV1..SEV5 and their P0..P4 aliases.
//!
//! The level itself is code (it orders and colours things); what each level means —
//! response time, update cadence, descriptions — is data in the catalog's
//! `severity.toml`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad an incident is. `Sev1` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    #[serde(rename = "SEV1")]
    Sev1,
    #[serde(rename = "SEV2")]
    Sev2,
    #[serde(rename = "SEV3")]
    Sev3,
    #[serde(rename = "SEV4")]
    Sev4,
    #[serde(rename = "SEV5")]
    Sev5,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Sev1,
        Severity::Sev2,
        Severity::Sev3,
        Severity::Sev4,
        Severity::Sev5,
    ];

    /// 1 for SEV1 … 5 for SEV5.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Sev1 => 1,
            Severity::Sev2 => 2,
            Severity::Sev3 => 3,
            Severity::Sev4 => 4,
            Severity::Sev5 => 5,
        }
    }

    pub fn from_rank(rank: u8) -> Option<Severity> {
        Severity::ALL
            .get(usize::from(rank).checked_sub(1)?)
            .copied()
    }

    /// `SEV1`.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
            Severity::Sev4 => "SEV4",
            Severity::Sev5 => "SEV5",
        }
    }

    /// The priority alias: SEV-n is P(n-1).
    pub fn alias(self) -> &'static str {
        match self {
            Severity::Sev1 => "P0",
            Severity::Sev2 => "P1",
            Severity::Sev3 => "P2",
            Severity::Sev4 => "P3",
            Severity::Sev5 => "P4",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text was not a severity; says what would have been.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a severity: use SEV1..SEV5 (or P0..P4)")]
pub struct BadSeverity(pub String);

impl FromStr for Severity {
    type Err = BadSeverity;

    /// Accepts `SEV1`, `sev-1`, `SEV‑1` (non-breaking hyphen, as runbooks write it),
    /// `P0` and a bare `1`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadSeverity(text.to_string());
        let upper = text.trim().to_ascii_uppercase();
        let compact: String = upper
            .chars()
            .filter(|c| !matches!(c, '-' | '\u{2011}' | '_' | ' '))
            .collect();
        let (digits, offset) = if let Some(rest) = compact.strip_prefix("SEV") {
            (rest, 0)
        } else if let Some(rest) = compact.strip_prefix('P') {
            (rest, 1)
        } else {
            (compact.as_str(), 0)
        };
        let number: u8 = digits.parse().map_err(|_| bad())?;
        Severity::from_rank(number.checked_add(offset).ok_or_else(bad)?).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_aliases_and_runbook_spellings() {
        assert_eq!("SEV1".parse(), Ok(Severity::Sev1));
        assert_eq!("sev-2".parse(), Ok(Severity::Sev2));
        assert_eq!("SEV\u{2011}3".parse(), Ok(Severity::Sev3));
        assert_eq!("P0".parse(), Ok(Severity::Sev1));
        assert_eq!("p4".parse(), Ok(Severity::Sev5));
        assert_eq!("4".parse(), Ok(Severity::Sev4));
    }

    #[test]
    fn rejects_out_of_range_and_junk() {
        for bad in ["SEV0", "SEV6", "P5", "high", "", "SEV", "P"] {
            assert!(bad.parse::<Severity>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn aliases_are_one_lower_than_codes() {
        for sev in Severity::ALL {
            assert_eq!(sev.alias().parse(), Ok(sev));
            assert_eq!(sev.code().parse(), Ok(sev));
        }
    }
}
