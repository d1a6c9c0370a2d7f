"""Sign in (team server): the only page there is until you have."""

import streamlit as st

from dashboard import signin

st.title("Workprint team server")
st.markdown("Team figures here are aggregates over consenting workers, never about one person. Sign in to read them.")
if signin.notice():
    st.info(signin.notice())
with st.form("signin", enter_to_submit=True):
    st.text_input("Account name", key=signin.NAME_KEY, autocomplete="username")
    st.text_input("Password", type="password", key=signin.PASSWORD_KEY, autocomplete="current-password")
    # Checked in the button's callback, before app.py runs again, so this very run lists the account's pages.
    st.form_submit_button("Sign in", on_click=signin.sign_in_from_form)
if signin.refusal():
    st.error(signin.refusal())
if signin.oidc_enabled():
    st.divider()
    if st.button("Sign in with single sign-on"):
        signin.single_sign_on()
