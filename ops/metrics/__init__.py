"""Supabase's database metrics (its Prometheus endpoint) into CloudWatch, where the stack's alarms watch them.

Self-contained (standard library, boto3 and prometheus_client only): the same files run in the scheduled
Lambda function (components/database_metrics.py) and in `python -m ops scrape-metrics`.
"""
