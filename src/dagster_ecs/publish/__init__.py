"""DAG delivery: publish a repository's files as an immutable release, switch to it atomically, reload it live.

    manifest  the content-addressed list of files (sha256, size, executable bit) and its digest
    ignore    what is never published, and `.dagsterignore`
    diff      added / changed / removed paths between two manifests
    layout    where a repository's deployment lives in the bucket (`deployments/<repo>/`)
    blobs     where new contents come from: the source directory, or S3 deployment staging
    release   assembling a release under `<target>/releases/`, switching `current`, pruning, rollback
    listing   the releases of a target as a table (`dagster-ecs releases`)
    lock      the per-repository flock that serialises publishes
    staging   uploading blobs and manifests to S3 for an apply task inside the VPC
    preflight loading the repository in a separate process before anything is published
    reload    reloadRepositoryLocation through the webserver, and confirming what it serves
    errors    the exceptions the command line turns into one line on stderr
    hash_cache, objects   reusing file hashes between publishes; S3 object probes

`python -m dagster_ecs.publish` is the command line (apply / publish / rollback / releases / verify). Import
names from their submodules; this package imports nothing, so probing it (the Ansible modules do) stays cheap.
"""
