"""The team leader's page (Streamlit): ``page.py`` draws it, the modules beside it decide."""
