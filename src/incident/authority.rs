//! Who may do what in an incident: the roles that govern its record (granted roles
//! plus seats held) and the ones that may touch production (granted roles only), and
//! the permission check every `decide_*` module makes.

use super::command::Actor;
use super::rejection::{RejectCode, Rejection};
use super::role::{Permission, Role, allowed_roles, permits};
use super::state::State;
use std::collections::BTreeSet;

/// The roles that decide who may touch production — request, approve or deny a
/// containment action: the roles the actor's credentials grant, and nothing else.
/// Seats never count here: whoever may declare becomes the commander, and the commander
/// hands out seats, so counting seats would let any responder grant themselves any
/// action.
pub fn production_roles(actor: &Actor) -> &BTreeSet<Role> {
    &actor.roles
}

/// True when `roles` hold nothing but observer (or nothing at all): such an actor may
/// do nothing, and a seat gives them nothing either.
pub fn is_observer_only(roles: &BTreeSet<Role>) -> bool {
    roles.iter().all(|r| *r == Role::Observer)
}

/// The roles that govern the incident record — severity, status, comms, checklist,
/// notes: the granted roles plus the seats held in this incident. An observer's seats
/// count for nothing (the hub also refuses to seat an observer), so an observer stays
/// read-only whatever the log says.
pub fn record_roles(state: &State, actor: &Actor) -> BTreeSet<Role> {
    let mut roles = actor.roles.clone();
    if !is_observer_only(&actor.roles) {
        roles.extend(state.seats_of(&actor.name));
    }
    roles
}

/// Checks `permission` against the actor's [`record_roles`] (every permission in the
/// table governs the record; production is checked by `decide_effects`).
pub fn require(state: &State, actor: &Actor, permission: Permission) -> Result<(), Rejection> {
    if permits(&record_roles(state, actor), permission) {
        return Ok(());
    }
    let allowed: Vec<&str> = allowed_roles(permission).iter().map(|r| r.id()).collect();
    Err(Rejection::new(
        RejectCode::Forbidden,
        format!(
            "{} may not {}: that needs one of {}",
            actor.name,
            permission.describe(),
            allowed.join(", ")
        ),
    ))
}

/// The hub's runner acts under this name.
pub const RUNNER: &str = "system:runner";

/// Only the hub's own runner may record what its effects did: anyone else is refused
/// with `why`.
pub fn runner_only(actor: &Actor, why: &str) -> Result<(), Rejection> {
    if actor.name == RUNNER {
        Ok(())
    } else {
        Err(Rejection::new(RejectCode::Forbidden, why))
    }
}
