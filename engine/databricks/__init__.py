"""Everything the app and the job need from a Databricks workspace, through `databricks-sdk` only.

- `workspace`: the WorkspaceClient (the signed-in user, a token, the app's service principal)
  and `retrying()`, which survives 429/500/503/`TEMPORARILY_UNAVAILABLE`.
- `grants`: the advisory Unity Catalog permission check.
- `volume`: the UC volume's layout (launch configs, run folders keyed by run id), transfers,
  and a run's files read and written typed (`RunRecord`, `engine.RunProgress`,
  `engine.JobManifest`); the only module that knows them.
- `runs`: launch (idempotent), poll (Jobs 2.2 `status`) and cancel Jobs runs.
- `job_config`: the JobConfig a launch uploads and the job reads.
"""

from .grants import ALL_USERS_GROUP, UNKNOWN_TEXT, PermissionReport, Requirement, check_permissions, required_privileges
from .job_config import CLUSTER_COLUMNS, DEFAULT_PURPOSE, Destination, JobConfig
from .runs import (
    ENVIRONMENT_KEY,
    SERVERLESS_ENVIRONMENT_VERSION,
    TASK_KEY,
    TASK_PARAMETERS,
    WHEEL_ENTRY_POINT,
    WHEEL_PACKAGE,
    Launch,
    RunState,
    cancel_run,
    launch_run,
    new_token,
    poll_run,
)
from .volume import (
    MANIFEST_FILE,
    PROGRESS_FILE,
    RUN_FILE,
    RunRecord,
    app_runs_folder,
    download_text,
    launch_config_path,
    list_directory,
    list_runs,
    read_job_manifest,
    read_progress,
    run_file,
    run_folder,
    save_run_record,
    session_path,
    upload_text,
    volume_of_launch_config,
    volume_root,
    write_job_manifest,
    write_progress,
)
from .workspace import WorkspaceUnavailableError, client, current_user, is_transient, retrying

__all__ = [
    "ALL_USERS_GROUP", "CLUSTER_COLUMNS", "DEFAULT_PURPOSE", "ENVIRONMENT_KEY", "MANIFEST_FILE", "PROGRESS_FILE", "RUN_FILE",
    "SERVERLESS_ENVIRONMENT_VERSION", "TASK_KEY", "TASK_PARAMETERS", "UNKNOWN_TEXT", "WHEEL_ENTRY_POINT", "WHEEL_PACKAGE",
    "Destination", "JobConfig", "Launch", "PermissionReport", "Requirement", "RunState", "WorkspaceUnavailableError",
    "app_runs_folder", "cancel_run", "check_permissions", "client", "current_user", "download_text", "is_transient",
    "launch_config_path", "launch_run", "list_directory", "list_runs", "new_token", "poll_run", "required_privileges",
    "retrying", "run_file", "run_folder", "save_run_record", "session_path", "upload_text", "volume_of_launch_config",
    "RunRecord", "read_job_manifest", "read_progress", "volume_root", "write_job_manifest", "write_progress",
]
