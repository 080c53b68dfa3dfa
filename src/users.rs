//! Unix users and groups by name or number (through the C library, so NSS sources count), for
//! the per-zone owners of lab hosting and the control socket's group.

use std::ffi::{CStr, CString};

/// The uid of `user`: a user name, or a number.
pub fn uid_of(user: &str) -> Option<u32> {
    if let Ok(n) = user.parse() {
        return Some(n);
    }
    let name = CString::new(user).ok()?;
    let mut buf = vec![0u8; 16384];
    // SAFETY: getpwnam_r writes into `pwd` and `buf` (whose length is passed) and sets `out` to
    // `&pwd` or null; nothing is read unless it returned 0 with a non-null result.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(
            name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut out,
        );
        (rc == 0 && !out.is_null()).then_some(pwd.pw_uid)
    }
}

/// The gid of `group`: a group name, or a number.
pub fn gid_of(group: &str) -> Option<u32> {
    if let Ok(n) = group.parse() {
        return Some(n);
    }
    let name = CString::new(group).ok()?;
    let mut buf = vec![0u8; 65536];
    // SAFETY: as in `uid_of`, with getgrnam_r.
    unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut out: *mut libc::group = std::ptr::null_mut();
        let rc = libc::getgrnam_r(
            name.as_ptr(),
            &mut grp,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut out,
        );
        (rc == 0 && !out.is_null()).then_some(grp.gr_gid)
    }
}

/// The name and primary gid of the user `uid`, if the system knows it.
fn user_entry(uid: u32) -> Option<(CString, u32)> {
    let mut buf = vec![0u8; 16384];
    // SAFETY: as in `uid_of`, with getpwuid_r; `pw_name` points into `buf`, copied out before
    // `buf` is dropped.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut out);
        if rc != 0 || out.is_null() {
            return None;
        }
        Some((CStr::from_ptr(pwd.pw_name).to_owned(), pwd.pw_gid))
    }
}

/// Every group the user `uid` is in (primary and supplementary), as the system lists them;
/// just `primary` for a uid the system does not know.
pub fn groups_of(uid: u32, primary: u32) -> Vec<u32> {
    let Some((name, gid)) = user_entry(uid) else {
        return vec![primary];
    };
    let mut count: libc::c_int = 64;
    loop {
        let mut groups: Vec<libc::gid_t> = vec![0; count as usize];
        let asked = count;
        // SAFETY: `groups` has room for `count` entries; getgrouplist writes at most that many
        // and sets `count` to the number it has (or needs, returning -1).
        let rc = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &mut count) };
        if rc >= 0 {
            groups.truncate(count as usize);
            if !groups.contains(&primary) {
                groups.push(primary);
            }
            return groups;
        }
        if count <= asked {
            count = asked * 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_numbers_resolve() {
        assert_eq!(uid_of("root"), Some(0));
        assert_eq!(uid_of("64001"), Some(64001));
        assert_eq!(gid_of("root"), Some(0));
        assert_eq!(uid_of("no-such-user-zonectl"), None);
        assert!(groups_of(0, 0).contains(&0));
        assert_eq!(groups_of(64001, 64001), [64001]);
    }
}
