"""Accounts (team server, admins): who may sign in, read-only. Changes go through `workprint team account`."""

import streamlit as st

from dashboard import signin

st.title("Accounts")
st.caption("Read-only. Add, remove or change accounts with `workprint team account add|remove|passwd|bind-oidc` "
           "on the server; a changed or removed account's sessions end at once.")
st.dataframe(signin.accounts_table(), hide_index=True, width="stretch")
