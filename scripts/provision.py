"""Local provisioning the table cannot carry: the alerts topic and the verified SES sender.
The table itself is created by the local runner from template.yaml. Prints the topic ARN."""
import os
import sys

import boto3

endpoint = os.environ["AWS_ENDPOINT_URL"]
sender = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
topic = boto3.client("sns", **kw).create_topic(Name="closeloop-alerts")["TopicArn"]
ses = boto3.client("sesv2", **kw)
try:
    ses.create_email_identity(EmailIdentity=sender)
except ses.exceptions.AlreadyExistsException:
    pass
print(topic)
