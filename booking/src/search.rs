//! Catalogue search: the filters people use to find a room or court. Pure; the store adds the
//! "free in this period" filter with the availability rule.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::{CustomerType, Equipment, Resource, ResourceKind, ResourceType};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub min_capacity: Option<i64>,
    pub wheelchair_accessible: Option<bool>,
    pub kind: Option<ResourceKind>,
    pub types: Vec<ResourceType>,
    /// Every listed facility must be present.
    pub equipment: Vec<Equipment>,
    /// Every listed service must be offered.
    pub services: Vec<String>,
    /// Only resources this customer type may book.
    pub customer_type: Option<CustomerType>,
    /// Case-insensitive text in name, description or address.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Name,
    Capacity,
    CapacityDesc,
}

impl Filter {
    pub fn matches(&self, r: &Resource) -> bool {
        let s = &r.spec;
        !r.retired
            && self.min_capacity.is_none_or(|c| s.capacity >= c)
            && self.wheelchair_accessible.is_none_or(|w| !w || s.wheelchair_accessible)
            && self.kind.is_none_or(|k| s.kind == k)
            && (self.types.is_empty() || self.types.contains(&s.resource_type))
            && self.equipment.iter().all(|e| s.equipment.contains(e))
            && self.services.iter().all(|c| s.services.contains(c))
            && self.customer_type.is_none_or(|c| r.price_for(c).is_some())
            && self.text.as_ref().is_none_or(|t| {
                let t = t.to_lowercase();
                [&s.name, &s.description, &s.address].iter().any(|f| f.to_lowercase().contains(&t))
            })
    }
}

pub fn sort(resources: &mut [Resource], by: Sort) {
    match by {
        Sort::Name => resources.sort_by(|a, b| a.spec.name.cmp(&b.spec.name).then(a.id.cmp(&b.id))),
        Sort::Capacity => resources.sort_by_key(|r| (r.spec.capacity, r.id)),
        Sort::CapacityDesc => resources.sort_by_key(|r| (std::cmp::Reverse(r.spec.capacity), r.id)),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: usize,
    pub per_page: usize,
    pub total: usize,
}

impl<T> Page<T> {
    /// Page `page` (1-based) of `all`.
    pub fn of(all: Vec<T>, page: usize, per_page: usize) -> Page<T> {
        let total = all.len();
        let items = all.into_iter().skip((page - 1) * per_page).take(per_page).collect();
        Page { items, page, per_page, total }
    }
}
