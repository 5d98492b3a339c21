"""Local provisioning the table cannot carry: the alerts topic, the verified SES sender, the
QR nonce key and the staff console's session key (the template's generated Secrets Manager
secrets). The table itself is created by the local runner from template.yaml. Prints the topic
ARN, the QR nonce secret's ARN and the console session secret's ARN on one line."""
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


def generated_secret(name):
    """The secret's ARN, created with 64 random characters as the template's are."""
    try:
        return sm.create_secret(Name=name, SecretString=secrets.token_urlsafe(48))["ARN"]
    except sm.exceptions.ResourceExistsException:
        return sm.describe_secret(SecretId=name)["ARN"]


print(topic, generated_secret("closeloop-qr-nonce-key"),
      generated_secret("closeloop-console-session-key"))
