//! Incident roles and the one permission table that says who may do what.
//!
//! Two layers. **The incident record** (severity, status, comms, checklist, notes): a
//! responder's roles are the roles their token grants plus the seats the commander gave
//! them in that incident (seating someone comms lead lets them publish); `decide`
//! checks these commands against [`PERMISSIONS`]. **Production** (requesting,
//! approving or denying a containment action): only the roles the token grants count,
//! checked against the action's own `roles` — a seat never does, because whoever
//! declares becomes commander and hands out seats. An observer can do neither and is
//! never seated.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Commander,
    Scribe,
    Comms,
    Ops,
    Security,
    Responder,
    Observer,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Commander,
        Role::Scribe,
        Role::Comms,
        Role::Ops,
        Role::Security,
        Role::Responder,
        Role::Observer,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::Scribe => "scribe",
            Role::Comms => "comms",
            Role::Ops => "ops",
            Role::Security => "security",
            Role::Responder => "responder",
            Role::Observer => "observer",
        }
    }

    /// The title people say out loud.
    pub fn title(self) -> &'static str {
        match self {
            Role::Commander => "Incident commander",
            Role::Scribe => "Scribe",
            Role::Comms => "Comms lead",
            Role::Ops => "Ops lead",
            Role::Security => "Security lead",
            Role::Responder => "Responder",
            Role::Observer => "Observer",
        }
    }

    /// Roles an incident seats one person in (observers and responders are many).
    pub fn is_seat(self) -> bool {
        !matches!(self, Role::Responder | Role::Observer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a role: use one of commander, scribe, comms, ops, security, responder, observer"
)]
pub struct BadRole(pub String);

impl FromStr for Role {
    type Err = BadRole;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "ic" | "incident_commander" | "lead" => "commander",
            "comms_lead" | "communications" => "comms",
            "ops_lead" | "oncall" | "on_call" => "ops",
            "security_lead" | "sec" => "security",
            other => other,
        };
        Role::ALL
            .into_iter()
            .find(|role| role.id() == alias)
            .ok_or_else(|| BadRole(text.to_string()))
    }
}

/// What a command asks to do, for the permission check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Declare,
    Write,
    Steer,
    TakeCommand,
    AssignRoles,
    EditChecklist,
    TickChecklist,
    EditBlastRadius,
    SetRegulatoryFlags,
    DraftComms,
    PublishComms,
    WritePostmortem,
}

impl Permission {
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Declare => "declare an incident",
            Permission::Write => {
                "add notes, decisions and actions to the timeline, and set the impact times"
            }
            Permission::Steer => "change title, severity and status",
            Permission::TakeCommand => "take command when nobody holds it",
            Permission::AssignRoles => "assign and release roles",
            Permission::EditChecklist => "add checklist items, apply playbooks, assign items",
            Permission::TickChecklist => "tick and untick checklist items",
            Permission::EditBlastRadius => "set tenant/region and service states",
            Permission::SetRegulatoryFlags => "switch regulatory clocks on and off, mark them met",
            Permission::DraftComms => "save comms drafts",
            Permission::PublishComms => "publish comms updates",
            Permission::WritePostmortem => "write the post-mortem's sections",
        }
    }
}

use Role::{Commander, Comms, Ops, Responder, Scribe, Security};

/// Who may do what. The only place permissions live.
pub const PERMISSIONS: &[(Permission, &[Role])] = &[
    (
        Permission::Declare,
        &[Commander, Scribe, Comms, Ops, Security, Responder],
    ),
    (
        Permission::Write,
        &[Commander, Scribe, Comms, Ops, Security, Responder],
    ),
    (Permission::Steer, &[Commander]),
    (
        Permission::TakeCommand,
        &[Commander, Scribe, Comms, Ops, Security, Responder],
    ),
    (Permission::AssignRoles, &[Commander]),
    (
        Permission::EditChecklist,
        &[Commander, Scribe, Ops, Security],
    ),
    (
        Permission::TickChecklist,
        &[Commander, Scribe, Comms, Ops, Security, Responder],
    ),
    (
        Permission::EditBlastRadius,
        &[Commander, Ops, Security, Responder],
    ),
    (Permission::SetRegulatoryFlags, &[Commander, Security]),
    (Permission::DraftComms, &[Commander, Comms, Scribe]),
    (Permission::PublishComms, &[Commander, Comms]),
    (Permission::WritePostmortem, &[Commander, Scribe, Comms]),
];

/// The roles allowed to do `permission`.
pub fn allowed_roles(permission: Permission) -> &'static [Role] {
    PERMISSIONS
        .iter()
        .find(|(p, _)| *p == permission)
        .map_or(&[], |(_, roles)| roles)
}

/// True when any of `roles` grants `permission`.
pub fn permits(roles: &BTreeSet<Role>, permission: Permission) -> bool {
    allowed_roles(permission).iter().any(|r| roles.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_is_in_the_table_once() {
        let all = [
            Permission::Declare,
            Permission::Write,
            Permission::Steer,
            Permission::TakeCommand,
            Permission::AssignRoles,
            Permission::EditChecklist,
            Permission::TickChecklist,
            Permission::EditBlastRadius,
            Permission::SetRegulatoryFlags,
            Permission::DraftComms,
            Permission::PublishComms,
            Permission::WritePostmortem,
        ];
        for p in all {
            assert_eq!(
                PERMISSIONS.iter().filter(|(q, _)| *q == p).count(),
                1,
                "{p:?}"
            );
        }
    }

    #[test]
    fn observers_may_do_nothing() {
        let observer = BTreeSet::from([Role::Observer]);
        for (permission, _) in PERMISSIONS {
            assert!(!permits(&observer, *permission), "{permission:?}");
        }
    }

    #[test]
    fn only_commanders_steer() {
        assert!(permits(
            &BTreeSet::from([Role::Commander]),
            Permission::Steer
        ));
        assert!(!permits(
            &BTreeSet::from([Role::Scribe, Role::Ops]),
            Permission::Steer
        ));
    }

    #[test]
    fn role_names_and_aliases_parse() {
        assert_eq!("IC".parse(), Ok(Role::Commander));
        assert_eq!("comms_lead".parse(), Ok(Role::Comms));
        assert!("boss".parse::<Role>().is_err());
        for role in Role::ALL {
            assert_eq!(role.id().parse(), Ok(role));
        }
    }
}
