"""This computer's desktop: keys that work while another app has the focus, and on
Wayland the desktop's portals (screenshots, that key). Imports no other domain.
"""
