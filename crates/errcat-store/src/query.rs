//! What the queries of [`crate::Store`] share: the filter's conditions,
//! written once for both backends, the errors a grouping reads, and the
//! fold of the grouping query's rows into groups.

use crate::record::{Filter, GROUP_READ, GROUP_SCAN, Group};
use crate::sql::Sql;

/// Appends `f`'s conditions (`AND …`) to the query.
pub(crate) fn push_filters(q: &mut Sql, f: &Filter) {
    push_match(q, f);
    push_time(q, f);
}

/// Appends the conditions of `f` but its time range.
fn push_match(q: &mut Sql, f: &Filter) {
    if let Some(v) = &f.code {
        q.push(" AND code = ").bind(v.as_str());
    }
    if let Some(r) = &f.status {
        if r.start() == r.end() {
            q.push(" AND status = ").bind(i64::from(*r.start()));
        } else {
            q.push(" AND status BETWEEN ")
                .bind(i64::from(*r.start()))
                .push(" AND ")
                .bind(i64::from(*r.end()));
        }
    }
    if let Some(v) = &f.category {
        q.push(" AND category = ").bind(v.as_str());
    }
    if let Some(v) = &f.route {
        if v.contains('{') {
            // The prefix finds the rows through the index; the whole
            // value decides.
            q.push(" AND substr(route, 1, 200) = substr(")
                .bind(v.as_str())
                .push(", 1, 200) AND route = ")
                .bind(v.as_str());
        } else {
            q.push(" AND (route = ")
                .bind(v.as_str())
                .push(" OR path = ")
                .bind(v.as_str())
                .push(")");
        }
    }
    if let Some(v) = &f.tenant {
        q.push(" AND substr(lower(tenant), 1, 64) = substr(lower(")
            .bind(v.as_str())
            .push("), 1, 64) AND lower(tenant) = lower(")
            .bind(v.as_str())
            .push(")");
    }
    if let Some(v) = &f.message {
        q.push(" AND message = ").bind(v.as_str());
    }
}

/// Appends the time range of `f`.
fn push_time(q: &mut Sql, f: &Filter) {
    if let Some(v) = f.since_ms {
        q.push(" AND ts_ms >= ").bind(v);
    }
    if let Some(v) = f.until_ms {
        q.push(" AND ts_ms < ").bind(v);
    }
}

/// Whether `f` has a condition besides its time range.
fn matches_some(f: &Filter) -> bool {
    f.code.is_some()
        || f.status.is_some()
        || f.category.is_some()
        || f.route.is_some()
        || f.tenant.is_some()
        || f.message.is_some()
}

/// Whether the newest errors matching `f` are found through an index of
/// their own (a code, a tenant, a route template) rather than by reading
/// the window's errors newest first.
fn indexed(f: &Filter) -> bool {
    f.code.is_some() || f.tenant.is_some() || f.route.as_ref().is_some_and(|r| r.contains('{'))
}

/// Whether a grouping by `f` reads the window's newest [`GROUP_READ`]
/// errors at most, then the ones of those that match.
pub(crate) fn read_bounded(f: &Filter) -> bool {
    matches_some(f) && !indexed(f)
}

/// Appends the errors a grouping by `f` reads, as a subquery `w`: the
/// newest matching ones, [`GROUP_SCAN`] at most, found through an index,
/// or, for a filter without one, among the window's newest [`GROUP_READ`].
pub(crate) fn push_window(q: &mut Sql, f: &Filter) {
    const COLUMNS: &str = "code, route, path, message, status, ts_ms, error_id";
    q.push(&format!("(SELECT {COLUMNS} FROM "));
    if read_bounded(f) {
        q.push(&format!(
            "(SELECT {COLUMNS}, category, tenant FROM errcat_errors WHERE 1 = 1"
        ));
        push_time(q, f);
        q.push(" ORDER BY ts_ms DESC, error_id DESC LIMIT ")
            .bind(GROUP_READ)
            .push(") AS r WHERE 1 = 1");
        push_match(q, f);
    } else {
        q.push("errcat_errors WHERE 1 = 1");
        push_filters(q, f);
    }
    q.push(" ORDER BY ts_ms DESC, error_id DESC LIMIT ")
        .bind(GROUP_SCAN)
        .push(") AS w");
}

/// Appends the query of the time of the last error a read-bounded grouping
/// reads (no row when the window holds fewer).
pub(crate) fn push_read_end(q: &mut Sql, f: &Filter) {
    q.push("SELECT ts_ms FROM errcat_errors WHERE 1 = 1");
    push_time(q, f);
    q.push(" ORDER BY ts_ms DESC, error_id DESC LIMIT 1 OFFSET ")
        .bind(GROUP_READ - 1);
}

/// One row of the grouping query: a group's errors in one bucket (a
/// missing message as `None`).
pub(crate) struct BucketRow {
    pub(crate) code: String,
    pub(crate) route: String,
    pub(crate) message: Option<String>,
    pub(crate) bucket: i64,
    pub(crate) status: u16,
    pub(crate) count: i64,
    pub(crate) first_ms: i64,
    pub(crate) last_ms: i64,
    pub(crate) sample: String,
}

/// The bucket rows folded into groups, most recently seen first, at most
/// `limit`; with the errors they were made of and the number of groups
/// (both of all groups), and the oldest error's time.
pub(crate) fn fold(rows: Vec<BucketRow>, limit: usize) -> (Vec<Group>, i64, usize, i64) {
    let mut index: std::collections::HashMap<(String, String, Option<String>), usize> =
        std::collections::HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let (mut errors, mut oldest) = (0, i64::MAX);
    for r in rows {
        errors += r.count;
        oldest = oldest.min(r.first_ms);
        let key = (r.code, r.route, r.message);
        let i = match index.get(&key) {
            Some(&i) => i,
            None => {
                let (code, route, message) = key.clone();
                groups.push(Group {
                    code,
                    route,
                    message,
                    status: 0,
                    count: 0,
                    first_ms: i64::MAX,
                    last_ms: i64::MIN,
                    sample_error_id: String::new(),
                    buckets: Vec::new(),
                });
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.status = g.status.max(r.status);
        g.count += r.count;
        g.first_ms = g.first_ms.min(r.first_ms);
        g.last_ms = g.last_ms.max(r.last_ms);
        if r.sample > g.sample_error_id {
            g.sample_error_id = r.sample;
        }
        g.buckets.push((r.bucket, r.count));
    }
    groups.sort_by(|a, b| {
        (b.last_ms, &a.code, &a.route, &a.message).cmp(&(a.last_ms, &b.code, &b.route, &b.message))
    });
    let all = groups.len();
    groups.truncate(limit);
    for g in &mut groups {
        g.buckets.sort_unstable();
    }
    (groups, errors, all, if errors == 0 { 0 } else { oldest })
}
