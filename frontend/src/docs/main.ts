import { mount } from 'svelte'
import Docs from './Docs.svelte'
import '../app.css'

mount(Docs, { target: document.getElementById('docs')! })
