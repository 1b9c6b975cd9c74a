"""Publishing the frontend's Vite build to its S3 bucket behind CloudFront: `ops publish-frontend`."""

from ops.publish.build import BuildError, BuildFile, scan_build
from ops.publish.run import PublishReport, publish

__all__ = ["BuildError", "BuildFile", "PublishReport", "publish", "scan_build"]
