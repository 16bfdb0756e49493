"""The staff side of reports: department queues, the status workflow, comments and the audit."""
