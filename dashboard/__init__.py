"""The moderators' dashboard (Streamlit). Pages call ``scanner`` services, which check permissions themselves."""
