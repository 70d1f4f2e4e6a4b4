"""This computer's desktop: keys that work while another app has the focus.
Imports no other domain.
"""
