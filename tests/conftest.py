import os

# Tests run with production settings, less what needs a real TLS front end and a real secret.
os.environ.setdefault("GOVREACH_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("GOVREACH_SSL_REDIRECT", "0")
