"""Reports made from the warehouse and the operational store, with no Streamlit in them: the weekly
digest (digest.py), the QBR data pack (qbr.py), and mail for the digest (mail.py)."""
