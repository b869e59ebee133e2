"""The exceptions mirrorstack raises for problems a user can fix.

    MirrorstackError
    ├── SettingsError      a settings, profile or .env file is wrong
    ├── PkiInputError      a cfssl JSON input is wrong
    ├── CertificateError   an issued certificate fails a check
    ├── DaemonConfigError  the Docker daemon's files cannot be changed safely
    ├── PreflightError     the machine is not ready to start the stack
    ├── StackError         a compose command or a readiness wait failed
    └── RegistryApiError   a registry answered an API call with an error

Every message names the file, key or endpoint involved and what to do.
"""

from __future__ import annotations


class MirrorstackError(Exception):
    """A problem the user can fix; the message says how."""


class SettingsError(MirrorstackError):
    """A settings, profile or .env file is wrong."""


class PkiInputError(MirrorstackError):
    """A cfssl JSON input is wrong."""


class CertificateError(MirrorstackError):
    """An issued certificate fails a check."""


class DaemonConfigError(MirrorstackError):
    """The Docker daemon's files cannot be changed safely."""


class PreflightError(MirrorstackError):
    """The machine is not ready to start the stack."""


class StackError(MirrorstackError):
    """A compose command or a readiness wait failed."""


class RegistryApiError(MirrorstackError):
    """A registry answered an API call with an error."""
