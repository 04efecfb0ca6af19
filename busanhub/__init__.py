"""BusanHub. The Celery app is loaded by busanhub.chain's AppConfig, so that importing this
package (e.g. for the stand-alone receipt verifier) needs neither Django nor Celery."""
