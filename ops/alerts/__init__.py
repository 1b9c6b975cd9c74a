"""Alerts on their way to where the team works (the Slack forwarder). Standard library and boto3 only: these
files run in a Lambda function as they are."""
