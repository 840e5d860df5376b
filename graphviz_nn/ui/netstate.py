"""The network form's state and callbacks: a spec put into the form, the form read back,
an uploaded spec file, and gradient-descent steps with their loss curve.
"""

from __future__ import annotations

import streamlit as st

from ..errors import GnnError
from ..page import netview
from ..page.netview import SpecForm
from .session import reset_step

__all__ = ["DEFAULT_CHAIN", "set_form", "current_form", "form_changed", "chain_changed",
           "reset_training", "upload_spec", "take_steps", "restore_start"]

DEFAULT_CHAIN = SpecForm(chain="Linear(2->2) -> ReLU -> Linear(2->1)", loss="half_sse", bias="folded",
                         values_text="x = [1, 2]\ny = 3\nW1 = [[2, 1, 0], [0, 2, 0]]\nW2 = [[0, 1, 2]]",
                         names=(("W1", "alpha"), ("W2", "beta")), title="α/β network")
"""The network the form shows until the user loads or types another."""


def set_form(form: SpecForm) -> None:
    """Put a spec into the network form (widgets and the hidden names and title)."""
    st.session_state.update(net_chain=form.chain, net_loss=form.loss, net_bias=form.bias,
                            net_init=form.init, net_seed=int(form.seed), net_values=form.values_text,
                            net_names=form.names, net_title=form.title, net_exact=form.exact_text)
    st.session_state.upload_error = None
    reset_training()


def current_form() -> SpecForm:
    """The network form as the widgets hold it."""
    ss = st.session_state
    return SpecForm(chain=ss.net_chain, loss=ss.net_loss, bias=ss.net_bias, init=ss.net_init,
                    seed=int(ss.net_seed), values_text=ss.net_values, names=tuple(ss.get("net_names", ())),
                    title=ss.get("net_title", ""), exact_text=ss.get("net_exact", ""))


def form_changed() -> None:
    """A hand edit of the form starts a new loss curve and shows the finished graph."""
    reset_step()
    reset_training()


def chain_changed() -> None:
    """An edited chain keeps the display names of parameters it still has and the title (marked
    edited); a loss named at its end (``… -> MSE``) is shown in the Loss menu."""
    form = netview.edited_chain(current_form(), st.session_state.net_chain)
    st.session_state.update(net_title=form.title, net_names=form.names, net_loss=form.loss)
    form_changed()


def reset_training() -> None:
    """No loss curve and no values to go back to: the next step starts a new curve."""
    st.session_state.net_losses = []
    st.session_state.net_start = None
    st.session_state.train_error = None


def upload_spec() -> None:
    """A spec file was uploaded: fill the form, or keep the form and say what is wrong."""
    upload = st.session_state.get("spec_upload")
    if upload is None:
        return
    try:
        form = netview.read_spec(upload.getvalue(), upload.name)
    except GnnError as err:
        st.session_state.upload_error = err.render()
        return
    except Exception as exc:  # a spec the checks missed: say so, never a traceback
        st.session_state.upload_error = f"{upload.name}: not a valid spec ({type(exc).__name__}: {exc})"
        return
    set_form(form)
    reset_step()


def take_steps(steps: int) -> None:
    """Gradient descent on the form's network: new values in the editor, losses on the curve."""
    form = current_form()
    try:
        result = netview.take_steps(form, float(st.session_state.net_lr), steps)
    except GnnError as err:
        st.session_state.train_error = err.render()
        return
    except Exception as exc:
        st.session_state.train_error = f"{type(exc).__name__}: {exc}"
        return
    losses = list(st.session_state.get("net_losses") or [])
    if not losses:
        st.session_state.net_start = (form.values_text, form.exact_text)
        losses = [result.losses[0]]
    st.session_state.net_losses = losses + list(result.losses[1:])
    st.session_state.net_values = result.form.values_text  # rounded to show; exact numbers behind
    st.session_state.net_exact = result.form.exact_text
    st.session_state.train_error = None
    reset_step()


def restore_start() -> None:
    """Back to the values before the first step."""
    start = st.session_state.get("net_start")
    if start is not None:
        st.session_state.net_values, st.session_state.net_exact = start
    reset_training()
    reset_step()
