//! The guarantees of `tc_runtime::fs::AtomicFile`, tested once here for every writer that uses
//! it (profile files, log packets and their digests, datasets, reports).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use tc_runtime::fs::{is_temporary_of, sync_dir, write_all_atomic, AtomicFile, PRIVATE_MODE};

/// A fresh, empty directory for one test.
fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tc-atomic-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("test directory");
    dir
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_target_keeps_its_old_content_until_the_commit() {
    let dir = dir("replace");
    let target = dir.join("profile.json");
    fs::write(&target, "old").unwrap();
    let mut file = AtomicFile::create(&target).unwrap();
    file.write_all(b"new ").unwrap();
    file.write_all(b"content").unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "old");
    let temp = file.temp_path().to_owned();
    assert_eq!(temp.parent(), Some(dir.as_path()), "beside the target");
    let temp_name = temp.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        temp_name.starts_with(".profile.json.") && temp_name.ends_with(".part"),
        "hidden, named after the target: {temp_name}"
    );
    assert!(is_temporary_of(temp.file_name().unwrap(), "profile.json"));
    file.commit().unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "new content");
    assert_eq!(names(&dir), ["profile.json"], "no temporary left");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_dropped_or_discarded_before_its_commit_leaves_nothing() {
    let dir = dir("drop");
    let target = dir.join("packet.log.gz");
    let mut file = AtomicFile::create(&target).unwrap();
    file.write_all(b"half a packet").unwrap();
    assert!(file.temp_path().exists());
    drop(file);
    assert!(names(&dir).is_empty(), "{:?}", names(&dir));

    let file = AtomicFile::create(&target).unwrap();
    file.discard().unwrap();
    // Sealed (synced, still hidden) and dropped: removed too.
    let mut file = AtomicFile::create(&target).unwrap();
    file.write_all(b"whole").unwrap();
    let sealed = file.seal().unwrap();
    assert!(names(&dir)[0].ends_with(".part"));
    drop(sealed);
    assert!(names(&dir).is_empty(), "{:?}", names(&dir));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_commit_leaves_no_temporary_and_names_the_path() {
    let dir = dir("fail");
    // A directory at the target: the rename fails.
    let target = dir.join("report.html");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("inside"), "x").unwrap();
    let mut file = AtomicFile::create(&target).unwrap();
    file.write_all(b"<html>").unwrap();
    let error = file.commit().expect_err("a directory is in the way");
    assert_eq!(error.path, target);
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: cannot rename into place: ", target.display())),
        "{error}"
    );
    assert_eq!(names(&dir), ["report.html"], "no temporary left");
    // No directory to create in: the error names the target.
    let nowhere = dir.join("missing").join("file");
    let error = AtomicFile::create(&nowhere).expect_err("no directory");
    assert_eq!(error.path, nowhere);
    assert_eq!(error.source.kind(), std::io::ErrorKind::NotFound);
    let error = sync_dir(&dir.join("missing")).expect_err("no directory to sync");
    assert!(
        error.to_string().contains("cannot sync the directory"),
        "{error}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn commit_syncs_and_the_data_is_there_also_for_a_batch() {
    let dir = dir("batch");
    write_all_atomic(dir.join("a"), b"alpha", PRIVATE_MODE).unwrap();
    assert_eq!(fs::read(dir.join("a")).unwrap(), b"alpha");
    // Files that appear together: sealed, renamed, one directory sync.
    let sealed: Vec<_> = ["b", "c"]
        .into_iter()
        .map(|name| {
            let mut file = AtomicFile::create(dir.join(name)).unwrap();
            file.write_all(name.as_bytes()).unwrap();
            file.seal().unwrap()
        })
        .collect();
    assert!(!dir.join("b").exists() && !dir.join("c").exists());
    for file in sealed {
        file.rename().unwrap();
    }
    sync_dir(&dir).unwrap();
    assert_eq!(names(&dir), ["a", "b", "c"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn the_temporary_is_private_unless_asked_otherwise() {
    use std::os::unix::fs::PermissionsExt;
    let dir = dir("mode");
    let file = AtomicFile::create(dir.join("secret")).unwrap();
    let mode = file.as_file().metadata().unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    file.commit().unwrap();
    let mode = fs::metadata(dir.join("secret"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    // Another mode, narrowed by the umask only: the group and others may lose bits, the owner
    // keeps read and write.
    write_all_atomic(dir.join("public"), b"x", 0o644).unwrap();
    let mode = fs::metadata(dir.join("public"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o700, 0o600, "{mode:o}");
    assert_eq!(mode & 0o133, 0, "{mode:o}");
    fs::remove_dir_all(&dir).unwrap();
}

/// Exclusive creation at a symbolic link — to a file or dangling — fails, and nothing is written
/// through it: what the random temporary names rely on, should one be guessed.
#[cfg(unix)]
#[test]
fn creation_is_exclusive_and_never_follows_a_link_at_the_temporary_name() {
    let dir = dir("exclusive");
    let victim = dir.join("victim");
    fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("link")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling")).unwrap();
    fs::write(dir.join("taken"), "someone's").unwrap();
    for name in ["link", "dangling", "taken"] {
        let error = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(name))
            .expect_err("exclusive creation at an existing entry fails");
        assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists, "{name}");
    }
    // Many temporaries of one target at once: each its own file.
    let files: Vec<AtomicFile> = (0..32)
        .map(|_| AtomicFile::create(dir.join("target")).unwrap())
        .collect();
    let mut temps: Vec<&Path> = files.iter().map(AtomicFile::temp_path).collect();
    temps.sort();
    temps.dedup();
    assert_eq!(temps.len(), 32);
    drop(files);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        !dir.join("nowhere").exists(),
        "nothing created through the link"
    );
    assert_eq!(names(&dir), ["dangling", "link", "taken", "victim"]);
    fs::remove_dir_all(&dir).unwrap();
}

/// A symbolic link at the target is replaced by the new file, not written through.
#[cfg(unix)]
#[test]
fn a_link_at_the_target_is_replaced_not_followed() {
    let dir = dir("link-target");
    let victim = dir.join("victim");
    fs::write(&victim, "precious").unwrap();
    let target = dir.join("report.html");
    std::os::unix::fs::symlink(&victim, &target).unwrap();
    write_all_atomic(&target, b"report", 0o666).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!fs::symlink_metadata(&target).unwrap().is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), "report");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn leftovers_are_recognised_by_name() {
    use std::ffi::OsStr;
    for (file, name, is) in [
        (".p.log.gz.0123456789abcdef.part", "p.log.gz", true),
        (".p.log.gz.part", "p.log.gz", true),
        (
            ".p.log.gz.sha256.0123456789abcdef.part",
            ".p.log.gz.sha256",
            true,
        ),
        (".p.log.gz.0123456789abcdef.part", "p.log", false),
        ("p.log.gz.0123456789abcdef.part", "p.log.gz", false),
        (".p.log.gz.0123456789abcdef", "p.log.gz", false),
    ] {
        assert_eq!(is_temporary_of(OsStr::new(file), name), is, "{file} {name}");
    }
}
