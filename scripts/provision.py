"""Local provisioning the table cannot carry: the alerts topic, the verified SES sender and the
QR nonce key (the template's generated Secrets Manager secret). The table itself is created by
the local runner from template.yaml. Prints the topic ARN and the secret's ARN on one line."""
import os
import secrets
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
sm = boto3.client("secretsmanager", **kw)
try:
    key = sm.create_secret(Name="closeloop-qr-nonce-key",
                           SecretString=secrets.token_urlsafe(48))["ARN"]
except sm.exceptions.ResourceExistsException:
    key = sm.describe_secret(SecretId="closeloop-qr-nonce-key")["ARN"]
print(topic, key)
